package main_test

// End-to-end tests of the dashboard's content panels against a real kds
// dev: live messages produced with kds send, message rates drawn as
// charts, and the subscriptions of a running kds consume.

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// liveItems selects the messages shown in the live view.
const liveItems = `#live-list li.message`

// consumerItem selects a consumer in the subscriptions panel.
func consumerItem(id string) string {
	return fmt.Sprintf(`#subs-list li.consumer[data-consumer=%q]`, id)
}

// TestDashboardShowsLiveContent opens the page while a consumer runs and
// then produces from the CLI: the subscriptions panel shows the consumer
// alive with its topic; a message sent with kds send appears in the live
// view without a reload, and one full of markup shows as text and runs
// nothing; a steady stream draws a rate chart; and when the consumer stops
// and its topic is deactivated, the panel says so.
func TestDashboardShowsLiveContent(t *testing.T) {
	t.Parallel()
	requireChromium(t)
	d := startDev(t, devOptions{})
	d.activeTopic(t, "news", 2)
	d.activeTopic(t, "clicks", 1)
	consumer := d.start(t, "consume", "--id", "reader", "--topics", "news", "-o", "json")
	d.waitAttached(t, "reader", consumer.pid(), "news")

	p := openDashboard(t, d, 1280, 1700)
	p.signIn(d.AdminToken)
	eval[bool](p.browser, `window.kdsTestMarker = true`)

	// Subscriptions: the consumer runs and consumes news.
	reader := consumerItem("reader")
	p.waitFor("the consumer alive with its process", fmt.Sprintf(
		`document.querySelector(%s)?.querySelector('li.proc[data-pid="%d"][data-alive="true"] .attached')?.textContent === "news"`,
		jsString(reader+`[data-alive="true"]`), consumer.pid()))
	p.waitFor("its live subscription", fmt.Sprintf(`document.querySelector(%s) !== null`,
		jsString(reader+` li.sub[data-topic="news"][data-live="true"]`)))

	// Live messages: follow news from its details, then send to it.
	p.selectTopic("active", "news")
	p.do("watch news", chromedp.Click(chromedp.ID("watch")))
	p.waitFor("the live view following news", `document.getElementById("live-status").dataset.state === "live" && document.getElementById("live-topic").value === "news"`)
	d.mustKds(t, "send", "news", "hello from the CLI")
	p.waitFor("the message in the live view", fmt.Sprintf(
		`[...document.querySelectorAll(%s)].some(li => li.querySelector(".message-value").textContent === "hello from the CLI" && li.querySelector(".producer").textContent === "admin")`,
		jsString(liveItems)))

	const markup = `<script>alert(1)</script><img src=x onerror=alert(2)>`
	d.mustKds(t, "send", "news", markup)
	p.waitFor("the markup shown as text", fmt.Sprintf(`document.querySelector(%s)?.textContent === %s`,
		jsString(liveItems+" .message-value"), jsString(markup)))
	if n := eval[int](p.browser, `document.querySelectorAll("#live-list img, #live-list script, img").length`); n != 0 {
		t.Errorf("the page has %d img or script elements in the live view: a message was parsed as HTML", n)
	}
	if order := eval[string](p.browser, fmt.Sprintf(`[...document.querySelectorAll(%s)].map(e => e.textContent).join("|")`, jsString(liveItems+" .message-value"))); order != markup+"|hello from the CLI" {
		t.Errorf("the live view reads %q, want the newest message first", order)
	}
	consumer.waitMessages(t, "news", []string{"hello from the CLI", markup})

	// Rates: a steady stream to clicks draws a chart with activity.
	sender := d.stream(t, "clicks", 20*time.Millisecond)
	clicks := `#rates-list li.rate-row[data-topic="clicks"]`
	// Two readings with traffic draw a line that leaves the baseline.
	p.waitFor("a rate chart for clicks", fmt.Sprintf(
		`(r => r && Number(r.dataset.rate) > 0 && Number(r.dataset.produced) > 0 && r.querySelector("polyline.spark-line").getAttribute("points").split(" ").filter(xy => Number(xy.split(",")[1]) < 23).length >= 2)(document.querySelector(%s))`,
		jsString(clicks)))
	p.waitFor("news charted too", `document.querySelector('#rates-list li.rate-row[data-topic="news"]') !== null`)
	rate := eval[float64](p.browser, fmt.Sprintf(`Number(document.querySelector(%s).dataset.rate)`, jsString(clicks)))
	t.Logf("the chart of clicks shows %.1f messages a second", rate)
	p.screenshot("dashboard-content.png")
	sent := sender.finish(t)

	// Prometheus sees the same traffic: produced from Kafka's offsets,
	// consumed from the consumer's heartbeats.
	eventually(t, "produced and consumed in /metrics", func() (bool, string) {
		scrape := metricsPage(t, d.APIURL, d.AdminToken)
		produced := metric(scrape, "kds_messages_produced_total", `topic="clicks"`)
		consumed := metric(scrape, "kds_messages_consumed_total", `topic="news"`)
		return produced == float64(sent) && consumed == 2, fmt.Sprintf("produced %v of %d to clicks, consumed %v of 2 from news", produced, sent, consumed)
	})

	// The consumer stops: it is no longer running, its subscription holds.
	consumer.interrupt(t)
	p.waitFor("the consumer not running", fmt.Sprintf(`document.querySelector(%s) !== null && document.querySelector(%s) === null`,
		jsString(reader+`[data-alive="false"] li.sub[data-topic="news"][data-live="true"]`), jsString(reader+` li.proc`)))

	// Deactivating news ends the subscription, which is gone once news is
	// deleted, and the live view.
	d.mustKds(t, "topic", "deactivate", "news", "--yes")
	p.waitFor("the subscription ended", fmt.Sprintf(`document.querySelector(%s) === null`,
		jsString(`#subs-list li.sub[data-topic="news"]`)))
	p.waitFor("the live view ended", `document.getElementById("live-status").dataset.state === "ended" && document.getElementById("live-status").textContent.includes("deactivated")`)
	p.waitFor("news gone from the rates", `document.querySelector('#rates-list li.rate-row[data-topic="news"]') === null`)
	if !eval[bool](p.browser, `window.kdsTestMarker === true`) {
		t.Error("the page was reloaded")
	}

	// On a phone the panels fit the screen.
	p.do("a phone's screen", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	p.waitFor("the phone layout", `window.innerWidth === 390`)
	if w := eval[[]int](p.browser, `[document.documentElement.scrollWidth, window.innerWidth]`); w[0] > w[1] {
		t.Errorf("the page is %dpx wide on a %dpx screen", w[0], w[1])
	}
	eval[bool](p.browser, `(document.getElementById("rates").scrollIntoView(), true)`)
	p.screenshot("dashboard-content-phone.png")
	p.checkClean()

	if out := d.stdout.String() + d.stderr.String(); strings.Contains(out, "?token=") {
		t.Error("kds dev's log shows a token in a URL")
	}
}
