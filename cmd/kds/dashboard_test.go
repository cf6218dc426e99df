package main_test

// End-to-end tests of the web dashboard: a real `kds dev`, driven from the
// CLI as a user would, with the page open in headless Chromium. The page
// must follow what happens without being reloaded, let an admin decide,
// show untrusted text as text, and give other roles nothing to click.

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kds-io/kds/adapters/httpapi/apiv1"
	"github.com/kds-io/kds/adapters/kafka/kafkatest"
)

// dashboard is a kds dev's page in a browser.
type dashboard struct {
	*browser
	dev *devServer
}

// openDashboard opens the page of d in a new browser window of the given
// size and waits for the sign-in form: nobody is signed in yet.
func openDashboard(t *testing.T, d *devServer, width, height int) *dashboard {
	t.Helper()
	p := &dashboard{browser: startBrowser(t, width, height), dev: d}
	var emulate []chromedp.EmulateViewportOption
	if width < 600 {
		emulate = append(emulate, chromedp.EmulateMobile)
	}
	p.do("open the dashboard",
		chromedp.EmulateViewport(int64(width), int64(height), emulate...),
		chromedp.Navigate(d.APIURL+"/"))
	p.waitFor("the sign-in form", `!document.getElementById("sign-in").hidden && document.getElementById("dashboard").hidden`)
	return p
}

// signIn signs in with token and waits until the topics are listed and
// the live stream is open.
func (p *dashboard) signIn(token string) {
	p.t.Helper()
	p.do("sign in",
		chromedp.SendKeys(chromedp.ID("token"), token),
		chromedp.Click(chromedp.ID("sign-in-button")))
	p.waitFor("the dashboard after signing in",
		`!document.getElementById("dashboard").hidden && document.documentElement.dataset.loaded === "true" && document.getElementById("connection").dataset.state === "live"`)
}

// section selects the list of topics in status.
func section(status string) string {
	return fmt.Sprintf(`details.section[data-status=%q]`, status)
}

// row selects a topic's row in the list of its status.
func row(status, name string) string {
	return fmt.Sprintf(`%s tr[data-topic=%q]`, section(status), name)
}

// waitRow waits until the topic is listed under status, opening that list
// first, as a person would to look at it.
func (p *dashboard) waitRow(status, name string) {
	p.t.Helper()
	eval[bool](p.browser, fmt.Sprintf(`document.querySelector(%s).open = true`, jsString(section(status))))
	p.waitFor(name+" listed as "+status, fmt.Sprintf(`document.querySelector(%s) !== null`, jsString(row(status, name))))
}

// counts reads the summary: the number of topics in each status.
func (p *dashboard) counts() map[string]int {
	p.t.Helper()
	return eval[map[string]int](p.browser, `Object.fromEntries([...document.querySelectorAll("#summary .chip")].map(c => [c.dataset.status, Number(c.querySelector(".chip-count").textContent)]))`)
}

// waitCount waits until the summary counts n topics in status.
func (p *dashboard) waitCount(status string, n int) {
	p.t.Helper()
	p.waitFor(fmt.Sprintf("%d %s in the summary", n, status),
		fmt.Sprintf(`document.querySelector('#summary .chip[data-status=%q] .chip-count').textContent === "%d"`, status, n))
}

// selectTopic clicks a topic in its list and waits for its details and
// history.
func (p *dashboard) selectTopic(status, name string) {
	p.t.Helper()
	p.waitRow(status, name)
	p.do("select "+name, chromedp.Click(chromedp.CSS(row(status, name)+" button.link")))
	p.waitFor("the details of "+name, fmt.Sprintf(
		`document.querySelector("#detail .topic-name")?.textContent === %s && document.querySelector("#detail .badge.status")?.textContent === %q && document.querySelector("#history") !== null`,
		jsString(name), status))
}

// fetchStatus calls the API from the page, as its own scripts would, and
// returns the status and the error message of the answer.
func (p *dashboard) fetchStatus(method, path string, withCSRF bool) (int, string) {
	p.t.Helper()
	headers := `{"Content-Type": "application/json"}`
	if withCSRF {
		headers = `{"Content-Type": "application/json", "X-CSRF-Token": (document.cookie.match(/(?:^|; )kds_csrf=([^;]*)/) || [])[1] || ""}`
	}
	expr := fmt.Sprintf(`fetch(%s, {method: %s, headers: %s, credentials: "same-origin"}).then(async r => [r.status, (await r.json().catch(() => ({}))).error || ""])`,
		jsString(path), jsString(method), headers)
	ctx, cancel := context.WithTimeout(p.ctx, browserStepTimeout)
	defer cancel()
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]any](expr, chromedp.EvalAwaitPromise))
	if err != nil || len(got) != 2 {
		p.t.Fatalf("fetch %s %s from the page: %v %v", method, path, got, err)
	}
	code, _ := got[0].(float64)
	msg, _ := got[1].(string)
	return int(code), msg
}

// TestDashboardFollowsTheLifecycleLive signs an admin in, checks the topics
// by status, then changes things from the CLI and from the page and sees
// the page follow without reloading: a request appears, an approval makes
// the topic active in Kafka, a rejection and a deactivation (confirmed in a
// dialog) land in their lists, and a reason full of markup stays text.
func TestDashboardFollowsTheLifecycleLive(t *testing.T) {
	t.Parallel()
	kcat := requireKcat(t)
	requireChromium(t)
	d := startDev(t, devOptions{})
	d.request(t, "orders", "-p", "2", "--reason", "order events")
	d.request(t, "payments")
	d.mustKds(t, "topic", "approve", "payments")
	d.request(t, "legacy")
	d.mustKds(t, "topic", "reject", "legacy", "--reason", "use orders")

	p := openDashboard(t, d, 1280, 900)
	p.signIn(d.AdminToken)
	if loc := eval[string](p.browser, `location.href`); loc != d.APIURL+"/" {
		t.Errorf("after signing in the page is at %q, want %q: the token must never be in a URL", loc, d.APIURL+"/")
	}
	if who := eval[string](p.browser, `document.getElementById("who").textContent`); who != "admin admin" {
		t.Errorf("signed in as %q, want the admin", who)
	}
	want := map[string]int{"pending": 1, "approved": 0, "active": 1, "inactive": 0, "deleted": 0, "rejected": 1}
	p.waitCount("pending", 1)
	if got := p.counts(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("summary %v, want %v", got, want)
	}
	p.waitRow("pending", "orders")
	p.waitRow("active", "payments")
	p.waitRow("rejected", "legacy")
	ordersRow := eval[string](p.browser, fmt.Sprintf(`document.querySelector(%s).innerText`, jsString(row("pending", "orders"))))
	if fields := strings.Fields(ordersRow); len(fields) < 5 || fields[0] != "orders" || fields[1] != "2" || fields[2] != "1" || fields[3] != "admin" {
		t.Errorf("the row of orders reads %q, want name, 2 partitions, replication 1, owner admin and age", ordersRow)
	}
	// Anything that reloads the page loses this.
	eval[bool](p.browser, `window.kdsTestMarker = true`)

	// A request from the CLI appears without a reload; its reason, markup
	// and all, is shown as text.
	const markup = `<img src=x onerror=alert(1)>`
	d.request(t, "news", "-p", "3", "--reason", markup)
	p.waitRow("pending", "news")
	p.waitCount("pending", 2)
	p.selectTopic("pending", "news")
	p.waitFor("the reason in the history", fmt.Sprintf(`[...document.querySelectorAll("#history .reason")].some(td => td.textContent === %s)`, jsString(markup)))
	if n := eval[int](p.browser, `document.querySelectorAll("img").length`); n != 0 {
		t.Errorf("the page has %d img elements: markup from a reason was parsed", n)
	}
	p.waitFor("the request in the live feed", fmt.Sprintf(`[...document.querySelectorAll("#feed .reason")].some(e => e.textContent === %s)`, jsString(markup)))

	// The admin approves in the page: approved, then active in Kafka.
	p.do("approve news", chromedp.Click(chromedp.ID("approve")))
	p.waitRow("active", "news")
	p.waitFor("news active in its details", `document.querySelector("#detail .badge.status")?.textContent === "active"`)
	eventually(t, "news in Kafka with 3 partitions", func() (bool, string) {
		topics, _ := kafkaTopics(t, kcat, d.KafkaAddrs)
		return len(topics["news"].Partitions) == 3, fmt.Sprint(topics)
	})
	if got := d.show(t, "news"); got.Status != "active" {
		t.Fatalf("the API says news is %+v, want active", got)
	}

	// Rejecting needs a reason, which the history then shows.
	p.selectTopic("pending", "orders")
	if disabled := eval[bool](p.browser, `document.getElementById("reject").disabled`); !disabled {
		t.Error("reject is enabled without a reason")
	}
	// What the admin is typing survives updates that arrive meanwhile.
	p.do("start typing a reason", chromedp.SendKeys(chromedp.ID("reject-reason"), "duplicate"))
	d.request(t, "extra")
	p.waitRow("pending", "extra")
	p.do("reject orders",
		chromedp.SendKeys(chromedp.ID("reject-reason"), " of news"),
		chromedp.Click(chromedp.ID("reject")))
	p.waitRow("rejected", "orders")
	p.waitCount("rejected", 2)
	p.waitFor("the rejection in the history", `[...document.querySelectorAll("#history li[data-action=reject] .reason")].some(td => td.textContent === "duplicate of news")`)
	if got := d.show(t, "orders"); got.Status != "rejected" {
		t.Fatalf("the API says orders is %+v, want rejected", got)
	}

	// Deactivating asks first; cancelling changes nothing.
	p.selectTopic("active", "payments")
	p.do("ask to deactivate payments", chromedp.Click(chromedp.ID("deactivate")))
	p.waitFor("the confirmation dialog", `document.getElementById("confirm-dialog").open && document.getElementById("confirm-topic").textContent === "payments"`)
	p.do("cancel", chromedp.Click(chromedp.ID("confirm-cancel")))
	p.waitFor("the dialog closed", `!document.getElementById("confirm-dialog").open`)
	if got := d.show(t, "payments"); got.Status != "active" {
		t.Fatalf("cancelling the deactivation left payments %+v", got)
	}
	p.do("deactivate payments",
		chromedp.Click(chromedp.ID("deactivate")),
		chromedp.SendKeys(chromedp.ID("confirm-reason"), "moved to news"),
		chromedp.Click(chromedp.ID("confirm-yes")))
	p.waitRow("deleted", "payments")
	p.waitCount("deleted", 1)
	eventually(t, "payments gone from Kafka", func() (bool, string) {
		topics, _ := kafkaTopics(t, kcat, d.KafkaAddrs)
		_, ok := topics["payments"]
		return !ok, fmt.Sprint(topics)
	})

	want = map[string]int{"pending": 1, "approved": 0, "active": 1, "inactive": 0, "deleted": 1, "rejected": 2}
	p.waitCount("deleted", 1)
	if got := p.counts(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("summary at the end %v, want %v", got, want)
	}
	for _, typ := range []string{"TopicRequested", "TopicApproved", "TopicActivated", "TopicRejected", "TopicDeactivated", "TopicDeleted"} {
		p.waitFor(typ+" in the live feed", fmt.Sprintf(`document.querySelector('#feed li[data-type=%q]') !== null`, typ))
	}
	if !eval[bool](p.browser, `window.kdsTestMarker === true`) {
		t.Error("the page was reloaded")
	}
	p.selectTopic("active", "news")
	p.screenshot("dashboard-admin.png")
	p.checkClean()

	// The same run as Prometheus sees it, without a token: a fresh kds dev
	// counts exactly what this test did.
	scrape := metricsPage(t, d.APIURL, d.AdminToken)
	for _, m := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"kds_commands_issued_total", []string{`outcome="queued"`, `type="ApproveTopic"`}, 2},
		{"kds_commands_issued_total", []string{`outcome="queued"`, `type="RejectTopic"`}, 2},
		{"kds_commands_handled_total", []string{`outcome="applied"`, `type="ActivateTopic"`}, 2},
		{"kds_commands_handled_total", []string{`outcome="applied"`, `type="DeleteTopic"`}, 1},
		{"kds_topic_transitions_total", []string{`action="activate"`}, 2},
		{"kds_topic_transitions_total", []string{`action="delete"`}, 1},
		{"kds_dashboard_event_streams", nil, 1},
		{"kds_dashboard_sign_ins_total", []string{`outcome="ok"`}, 1},
	} {
		if got := metric(scrape, m.name, m.labels...); got != m.want {
			t.Errorf("/metrics: %s%v = %v, want %v", m.name, m.labels, got, m.want)
		}
	}
	if got := metric(scrape, "kds_watermill_handler_execution_time_seconds_count", `handler_name="kds-lifecycle"`, `success="true"`); got < 1 {
		t.Errorf("/metrics: the lifecycle handler ran %v times, want at least once", got)
	}
	if !strings.Contains(scrape, "\nkds_outbox_lag ") || metric(scrape, "kds_outbox_lag") < 0 {
		t.Errorf("/metrics: no kds_outbox_lag, or a negative one:\n%s", grepLines(scrape, "kds_outbox_lag"))
	}
}

// TestDashboardShowsWhatTheTopicManagerCouldNotDo approves, in the page, a
// topic that someone already created in Kafka with another spec: Kafka
// refuses, the topic stays approved, and the page says why, prominently.
func TestDashboardShowsWhatTheTopicManagerCouldNotDo(t *testing.T) {
	t.Parallel()
	requireChromium(t)
	d := startDev(t, devOptions{})
	d.request(t, "taken", "-p", "2")
	kc := kafkatest.Config(d.KafkaAddrs...)
	kafkatest.CreateTopics(t, kc, 5, "taken") // behind kds's back

	p := openDashboard(t, d, 1280, 900)
	p.signIn(d.AdminToken)
	if !eval[bool](p.browser, `document.getElementById("attention").hidden`) {
		t.Error("the attention list shows while nothing failed")
	}
	p.selectTopic("pending", "taken")
	p.do("approve taken", chromedp.Click(chromedp.ID("approve")))
	p.waitFor("the error in the attention list", `document.querySelector('#attention li[data-topic="taken"] .attention-error')?.textContent.includes("already exists")`)
	p.waitFor("the error in the details", `document.querySelector("#detail .topic-error")?.textContent.includes("already exists")`)
	p.waitRow("approved", "taken")
	if !eval[bool](p.browser, fmt.Sprintf(`document.querySelector(%s) !== null`, jsString(row("approved", "taken")+" .error-badge"))) {
		t.Error("the row of taken has no error badge")
	}
	if got := d.show(t, "taken"); got.Status != "approved" || !strings.Contains(got.Error, "already exists") {
		t.Fatalf("the API says taken is %+v, want approved with Kafka's refusal", got)
	}
	// The approval went to kds.poison with Kafka's reason. The admin
	// removes the stray topic and requeues it from the page.
	p.waitFor("the poison panel", `!document.getElementById("poison").hidden &&
		document.querySelector('#poison-list li')?.textContent.includes("already exists in Kafka")`)
	p.screenshot("dashboard-error.png")
	kafkatest.DeleteTopics(t, kc, "taken")
	p.do("requeue the approval", chromedp.Click(`#poison-list li button.requeue`))
	p.waitFor("the requeued approval to take effect", `document.querySelector("#poison-list li button.requeue")?.textContent === "requeued"`)
	p.waitRow("active", "taken")
	p.checkClean()

	// An open page does not hold up a graceful shutdown: its stream ends,
	// and the page says it is reconnecting.
	start := time.Now()
	d.stop(t)
	if took := time.Since(start); took > 5*time.Second || d.waitErr != nil {
		t.Errorf("kds dev with a dashboard open stopped after %v with %v, want promptly and cleanly", took, d.waitErr)
	}
	p.waitFor("the page to notice", `document.getElementById("connection").dataset.state === "reconnecting"`)
}

// TestDashboardViewerAndSession checks what a read-only role gets on a
// phone-sized screen: the topics but no controls, refusals from the API
// for what the page does not offer, a session cookie scripts cannot read,
// a CSRF check, and signing out.
func TestDashboardViewerAndSession(t *testing.T) {
	t.Parallel()
	requireChromium(t)
	d := startDev(t, devOptions{})
	d.request(t, "clicks", "--reason", "click stream")
	viewer := d.createToken(t, "vic", "viewer")

	p := openDashboard(t, d, 390, 844)
	p.do("sign in with a wrong token",
		chromedp.SendKeys(chromedp.ID("token"), "kds_000000000000_not-a-real-token"),
		chromedp.Click(chromedp.ID("sign-in-button")))
	p.waitFor("the refusal", `document.getElementById("sign-in-error").textContent === "That token is not valid."`)
	eval[string](p.browser, `document.getElementById("token").value = ""`)
	p.signIn(viewer)
	if who := eval[string](p.browser, `document.getElementById("who").textContent`); who != "vic viewer" {
		t.Errorf("signed in as %q, want vic the viewer", who)
	}
	if v := eval[string](p.browser, `document.getElementById("token").value`); v != "" {
		t.Error("the token stays in the sign-in field")
	}

	p.selectTopic("pending", "clicks")
	if n := eval[int](p.browser, `document.querySelectorAll("#approve, #reject, #reject-reason, #deactivate, .admin-actions").length`); n != 0 {
		t.Errorf("a viewer sees %d admin controls", n)
	}

	// The session cookie is out of the scripts' reach; the CSRF one is not.
	cookies := eval[string](p.browser, `document.cookie`)
	if strings.Contains(cookies, "kds_session") || strings.Contains(cookies, viewer) || !strings.Contains(cookies, "kds_csrf=") {
		t.Errorf("document.cookie is %q: want kds_csrf only", cookies)
	}

	// What the page does not offer, the API refuses: for the role, and
	// for a missing CSRF header before that.
	if code, msg := p.fetchStatus("POST", "/api/v1/topics/clicks/approve", true); code != 403 || !strings.Contains(msg, `viewer "vic" may not`) {
		t.Errorf("a viewer's approval from the page: %d %q, want 403 for the role", code, msg)
	}
	if code, msg := p.fetchStatus("POST", "/api/v1/topics/clicks/approve", false); code != 403 || !strings.Contains(msg, "X-CSRF-Token") {
		t.Errorf("a cookie request without the CSRF header: %d %q, want 403", code, msg)
	}
	if got := d.show(t, "clicks"); got.Status != "pending" {
		t.Fatalf("clicks is %+v after the refused approvals", got)
	}

	// A request made meanwhile still shows up.
	d.request(t, "views")
	p.waitRow("pending", "views")

	// Readable on a phone: nothing wider than the screen.
	if w := eval[[]int](p.browser, `[document.documentElement.scrollWidth, window.innerWidth]`); w[0] > w[1] {
		t.Errorf("the page is %dpx wide on a %dpx screen", w[0], w[1])
	}
	p.screenshot("dashboard-viewer-phone.png")

	// Signing out ends the session.
	p.do("sign out", chromedp.Click(chromedp.ID("sign-out")))
	p.waitFor("the sign-in form after signing out", `!document.getElementById("sign-in").hidden && document.getElementById("connection").dataset.state === "offline"`)
	if code, _ := p.fetchStatus("GET", "/api/v1/whoami", false); code != 401 {
		t.Errorf("whoami after signing out: %d, want 401", code)
	}
	p.checkClean()

	// The token went into a cookie and nowhere else: not into kds's logs.
	if out := d.stdout.String() + d.stderr.String(); strings.Contains(out, viewer) {
		t.Error("kds dev's output holds the viewer's token")
	}
}

// TestDashboardKeepsUpWithAThousandTopics requests a thousand topics at
// once while the page is open: the page must show them all (a page of rows
// at a time) without a request per event, and filter them.
func TestDashboardKeepsUpWithAThousandTopics(t *testing.T) {
	t.Parallel()
	requireChromium(t)
	d := startDev(t, devOptions{})
	p := openDashboard(t, d, 1280, 900)
	p.signIn(d.AdminToken)

	const n = 1000
	batch := apiv1.BatchRequest{}
	for i := range n {
		batch.Commands = append(batch.Commands, apiv1.BatchCommand{Type: "RequestTopic", Topic: fmt.Sprintf("bulk-%04d", i)})
	}
	start := time.Now()
	if _, err := apiClient(t, d.APIURL, d.AdminToken).Batch(context.Background(), batch); err != nil {
		t.Fatalf("request %d topics: %v", n, err)
	}
	// The page is to keep up with kds, however long kds takes to apply
	// the requests on a machine that is busy with other work.
	for deadline := time.Now().Add(3 * time.Minute); ; time.Sleep(500 * time.Millisecond) {
		pending := 0
		for _, status := range d.statuses(t) {
			if status == "pending" {
				pending++
			}
		}
		if pending == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("kds holds %d of the %d requested topics as pending 3 minutes after the batch", pending, n)
		}
	}
	applied := time.Now()
	p.waitCount("pending", n)
	t.Logf("%d requested topics applied %v after the batch was sent, shown %v after that", n, applied.Sub(start).Round(time.Millisecond), time.Since(applied).Round(time.Millisecond))

	if rows := eval[int](p.browser, `document.querySelectorAll('details.section[data-status="pending"] tbody tr').length`); rows != 100 {
		t.Errorf("%d rows rendered for %d pending topics, want a page of 100", rows, n)
	}
	// Each event names a topic; bursts are read as whole lists instead.
	perTopic := eval[int](p.browser, `performance.getEntriesByType("resource").filter(e => /\/api\/v1\/topics\/[^/?]+$/.test(new URL(e.name).pathname)).length`)
	lists := eval[int](p.browser, `performance.getEntriesByType("resource").filter(e => new URL(e.name).pathname === "/api/v1/topics").length`)
	t.Logf("the page read %d single topics and %d whole lists for %d events", perTopic, lists, n)
	if perTopic > 100 {
		t.Errorf("the page read %d single topics for a burst of %d events: it must coalesce", perTopic, n)
	}

	p.do("filter", chromedp.SendKeys(chromedp.ID("filter"), "bulk-0999"))
	p.waitFor("one match", `document.querySelector('details.section[data-status="pending"] .count').textContent === "1 of 1000" && document.querySelectorAll('details.section[data-status="pending"] tbody tr').length === 1`)
	eval[bool](p.browser, `(f => (f.value = "", f.dispatchEvent(new Event("input")), true))(document.getElementById("filter"))`)
	p.waitFor("the whole list again", `document.querySelectorAll('details.section[data-status="pending"] tbody tr').length === 100`)
	p.do("show more", chromedp.Click(chromedp.CSS(`details.section[data-status="pending"] button.more`)))
	p.waitFor("two pages", `document.querySelectorAll('details.section[data-status="pending"] tbody tr').length === 200`)
	p.checkClean()
}

// TestDashboardShowsDrift: a topic someone created in Kafka behind kds's
// back is reported by the topic manager's next comparison, and the page
// lists it; a viewer sees it too.
func TestDashboardShowsDrift(t *testing.T) {
	t.Parallel()
	requireChromium(t)
	d := startDev(t, devOptions{env: []string{"KDS_TOPIC_MANAGER_RECONCILE_INTERVAL=500ms"}})
	kafkatest.CreateTopics(t, kafkatest.Config(d.KafkaAddrs...), 2, "legacy.orders")
	eventually(t, "the orphan reported by kds topic drift", func() (bool, string) {
		r := d.kds(t, "topic", "drift", "-o", "json")
		return strings.Contains(r.Stdout, `"legacy.orders"`) && strings.Contains(r.Stdout, `"orphan"`), r.String()
	})
	p := openDashboard(t, d, 1280, 900)
	p.signIn(d.createToken(t, "watcher", "viewer"))
	p.waitFor("the drift panel", `!document.getElementById("drift").hidden &&
		document.querySelector('#drift-list li[data-kind="orphan"]')?.textContent.includes("legacy.orders")`)
	if !eval[bool](p.browser, `document.getElementById("poison").hidden`) {
		t.Error("the poison panel shows while kds.poison is empty")
	}
	p.checkClean()
}
