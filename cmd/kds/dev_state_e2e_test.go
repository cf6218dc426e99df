package main_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestDevKeepsItsStateAcrossRestarts: kds dev keeps the admin token it
// made up and the embedded broker's topics and messages in its state
// directory, so that a restart, graceful or a crash, prints the same
// export line, says what it kept, and every terminal and running client
// carries on; --fresh starts over with a new token and empty topics.
func TestDevKeepsItsStateAcrossRestarts(t *testing.T) {
	t.Parallel()
	kcat := requireKcat(t)
	d := startDev(t, devOptions{token: "kept", args: []string{"--kafka-addr", freeAddr(t), "--http-addr", freeAddr(t)}})
	wantKept(t, d, "nothing (a new state directory)")
	export := exportLine.FindString(d.stdout.String())
	info, err := os.Stat(filepath.Join(d.StateDir, "admin-token"))
	if err != nil {
		t.Fatalf("kds dev keeps no admin token in its state directory: %v", err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("the kept admin token has mode %v, want 0600", info.Mode().Perm())
	}
	if !strings.Contains(d.stdout.String(), "state:             "+d.StateDir) {
		t.Errorf("kds dev does not name its state directory %s:\n%s", d.StateDir, d.stdout)
	}

	const name = "kept_news"
	d.activeTopic(t, name, 2)
	before := numbered("before", 1, 40)
	d.mustSendLines(t, name, before)
	consumer := d.start(t, "consume", "--id", "kept-reader", "--topics", name, "--from-beginning", "-o", "json")
	consumer.waitMessages(t, name, before)

	d.restart(t)
	if got := exportLine.FindString(d.stdout.String()); got != export {
		t.Fatalf("after a restart kds dev printed\n%s\nwant the same export line as before\n%s", got, export)
	}
	wantKept(t, d, "the admin token, the message key and 1 topic with 40 messages in Kafka")
	wantValues(t, kcatRead(t, kcat, d.KafkaAddrs, name), before)
	after := numbered("after", 1, 10)
	if r := d.sendLines(t, name, after); r.Code != 0 {
		t.Fatalf("send after a restart\n%s", r)
	}
	consumer.waitMessages(t, name, after)
	if status := d.statuses(t)[name]; status != "active" {
		t.Errorf("%s is %s after a restart, want active", name, status)
	}

	d.crash(t)
	d.launch(t)
	wantKept(t, d, "the admin token, the message key and 1 topic with 50 messages in Kafka")
	wantValues(t, kcatRead(t, kcat, d.KafkaAddrs, name), append(before, after...))

	oldToken := d.AdminToken
	d.restart(t, "--fresh")
	wantKept(t, d, "nothing (--fresh)")
	if d.AdminToken == oldToken {
		t.Fatal("kds dev --fresh kept the admin token")
	}
	wantFailure(t, d.kdsAs(t, oldToken, "topic", "list"), 1)
	eventually(t, name+" created again, empty", func() (bool, string) {
		topics, _ := kafkaTopics(t, kcat, d.KafkaAddrs)
		_, ok := topics[name]
		return ok, "not in Kafka"
	})
	if recs := kcatRead(t, kcat, d.KafkaAddrs, name); len(recs) != 0 {
		t.Errorf("after --fresh %s holds %d records, want none", name, len(recs))
	}
}

// wantKept checks what kds dev said it kept from its last run.
func wantKept(t *testing.T, d *devServer, want string) {
	t.Helper()
	if line := "kept:              " + want + "\n"; !strings.Contains(d.stdout.String(), line) {
		t.Fatalf("kds dev did not say %q:\n%s", line, d.stdout)
	}
}

// wantValues checks that records hold exactly the values want, in any
// order.
func wantValues(t *testing.T, recs []kcatRecord, want []string) {
	t.Helper()
	got := map[string]int{}
	for _, r := range recs {
		if r.Payload != nil {
			got[*r.Payload]++
		}
	}
	for _, w := range want {
		if got[w] != 1 {
			t.Errorf("Kafka holds %q %d times, want once", w, got[w])
		}
	}
	if len(recs) != len(want) {
		t.Errorf("Kafka holds %d records, want %d", len(recs), len(want))
	}
}

// TestDashboardCarriesOnAcrossADevRestart: a page signed in before kds dev
// restarts finds its connection again on its own, stays signed in, and
// follows messages sent after the restart without being reloaded.
func TestDashboardCarriesOnAcrossADevRestart(t *testing.T) {
	t.Parallel()
	requireChromium(t)
	d := startDev(t, devOptions{token: "kept", args: []string{"--kafka-addr", freeAddr(t), "--http-addr", freeAddr(t)}})
	d.activeTopic(t, "scores", 1)
	p := openDashboard(t, d, 1280, 1200)
	p.signIn(d.AdminToken)
	eval[bool](p.browser, `window.kdsTestMarker = true`)

	d.restart(t)
	p.waitFor("the page live again", `document.getElementById("connection").dataset.state === "live"`)
	p.selectTopic("active", "scores")
	p.do("watch scores", chromedp.Click(chromedp.ID("watch")))
	p.waitFor("the live view following scores", `document.getElementById("live-status").dataset.state === "live"`)
	d.mustKds(t, "send", "scores", "after the restart")
	p.waitFor("the message sent after the restart", fmt.Sprintf(
		`[...document.querySelectorAll(%s)].some(li => li.querySelector(".message-value").textContent === "after the restart")`, jsString(liveItems)))
	if !eval[bool](p.browser, `window.kdsTestMarker === true`) {
		t.Error("the page was reloaded")
	}
}
