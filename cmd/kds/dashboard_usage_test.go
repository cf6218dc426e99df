package main_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestDashboardStartsFullAndShowsUsage fills a kds dev before the page
// opens: a request waiting for approval, an active topic with messages and
// a subscription left behind by a consumer that stopped. The page opens
// with all of it: the latest commands in the feed with who issued them,
// the request in the pending queue (approved there, in place), rates
// charted from the server's readings, the topic's counts, partitions, lag
// and charts of the last readings, the subscription flagged as behind, and
// its messages in the browser, JSON pretty-printed and escapes shown.
func TestDashboardStartsFullAndShowsUsage(t *testing.T) {
	t.Parallel()
	requireChromium(t)
	d := startDev(t, devOptions{env: []string{"KDS_SERVER_USAGE_INTERVAL=300ms"}})
	d.request(t, "waiting", "--partitions", "1", "--reason", "needed for the demo")
	d.activeTopic(t, "orders", 2)
	// A consumer that read one message and stopped: what comes after is
	// its lag, with nobody reading it.
	consumer := d.start(t, "consume", "--id", "slow", "--topics", "orders", "-o", "json", "--count", "1")
	consumer.waitStderr(t, "✓ subscribed to orders")
	d.mustKds(t, "send", "orders", "first")
	if code := consumer.wait(t, 30*time.Second); code != 0 {
		t.Fatalf("kds consume --count 1 exited %d", code)
	}
	lines := []string{`{"a":1,"items":["x","y"]}`, "bell \x07 and escape \x1b[2J"}
	for i := range 38 {
		lines = append(lines, fmt.Sprint("order ", i))
	}
	d.kdsWithInput(t, strings.Join(lines, "\n")+"\n", "send", "orders")

	p := openDashboard(t, d, 1280, 2400)
	p.signIn(d.AdminToken)

	p.waitFor("the latest commands in the feed", `[...document.querySelectorAll('#feed li[data-source="history"][data-command="RequestTopic"]')].some(li => li.textContent.includes("waiting") && li.textContent.includes("requested") && li.textContent.includes("by admin"))`)
	charted := `document.querySelector('#rates-list li.rate-row[data-topic="orders"]') !== null`
	for deadline := time.Now().Add(browserStepTimeout); !eval[bool](p.browser, charted) && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
	}
	if !eval[bool](p.browser, charted) {
		// What the page was given to start its charts from.
		history, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](`fetch("/api/v1/usage?history=1").then(r => r.text())`, chromedp.EvalAwaitPromise))
		t.Logf("usage with history: %s %v", history, err)
	}
	p.waitFor("rates charted from the server's readings", charted)
	p.waitFor("the lag flagged in the subscriptions", `(b => b && b.dataset.behind === "true" && b.dataset.lag === "40")(document.querySelector('li.consumer[data-consumer="slow"] li.sub[data-topic="orders"] .badge.lag'))`)

	p.selectTopic("active", "orders")
	p.waitFor("what orders holds", `document.getElementById("usage-messages")?.textContent === "41 kept, 41 written" && document.querySelectorAll("#usage table.partitions tbody tr").length === 2 && document.getElementById("usage-last") !== null`)
	p.waitFor("the lag of slow in the details", `document.querySelector('#usage li.lag[data-consumer="slow"][data-behind="true"]')?.textContent.includes("behind by 40")`)
	p.waitFor("charts of the last readings", `document.querySelectorAll("#usage figure.hour").length === 2 && Number(document.querySelector("#usage figure.hour").dataset.peak) >= 0`)
	if lines := eval[[]string](p.browser, `[...document.querySelectorAll("#history > li")].map(li => li.querySelector(".action").textContent + " by " + li.querySelector(".actor").textContent.replace("by ", "") + (li.querySelector(".command-id") ? " with a command id" : ""))`); !slices.Equal(lines, []string{"activate by topic-manager", "approve by admin", "request by admin"}) {
		t.Errorf("the history of orders reads %q, want who did what, without command ids", lines)
	}

	p.do("browse orders", chromedp.Click(chromedp.ID("browse-topic-button")))
	p.waitFor("the newest messages of orders", `document.querySelectorAll("#browse-list li.record").length === 41 && document.getElementById("browse-status").dataset.state === "done"`)
	pretty := eval[string](p.browser, `document.querySelector('#browse-list pre.record-value[data-json="true"]')?.textContent || ""`)
	if pretty != "{\n  \"a\": 1,\n  \"items\": [\n    \"x\",\n    \"y\"\n  ]\n}" {
		t.Errorf("the JSON message reads %q, want it pretty-printed", pretty)
	}
	p.do("filter by text", chromedp.SetValue(chromedp.ID("browse-grep"), "escape"), chromedp.Click(chromedp.ID("browse-read")))
	p.waitFor("only the message with escapes", `document.querySelectorAll("#browse-list li.record").length === 1`)
	if shown := eval[string](p.browser, `document.querySelector("#browse-list pre.record-value").textContent`); shown != `bell \u0007 and escape \u001b[2J` {
		t.Errorf("the message with control characters reads %q, want them escaped", shown)
	}

	p.waitFor("waiting in the pending queue", `document.querySelector('#pending:not([hidden]) li.pending-item[data-topic="waiting"]') !== null`)
	p.screenshot("dashboard-usage")
	p.do("approve waiting in the queue", chromedp.Click(chromedp.CSS(`li.pending-item[data-topic="waiting"] button.pending-approve`)))
	p.waitRow("active", "waiting")
	p.waitFor("the queue empty", `document.getElementById("pending").hidden`)
	p.checkClean()
}
