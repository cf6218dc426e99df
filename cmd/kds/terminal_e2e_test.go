package main_test

// Text that came from other people and processes, shown on a terminal:
// reasons, hosts and message content that carry escape sequences and
// bidirectional overrides are shown as visible escapes, never acted on,
// while -o json gives scripts the text exactly.

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/kds-io/kds/adapters/mysql"
	"github.com/kds-io/kds/adapters/mysql/mysqltest"
)

// hostileText clears the screen, retitles the window, writes the
// clipboard, rings the bell, turns the text right to left and prints a
// green line of its own.
const hostileText = "\x1b[2J\x1b]0;title\x07\x1b]52;c;cm0gLXJmIH4=\x07\u202eevil\u009b31m\x1b[32mAll checks passed"

// wantHarmless fails the test when out holds any character a terminal
// acts on, or does not show the hostile text's escapes visibly.
func wantHarmless(t *testing.T, what, out string) {
	t.Helper()
	for _, c := range []string{"\x1b", "\x07", "\u202e", "\u009b", "\r"} {
		if strings.Contains(out, c) {
			t.Errorf("%s prints %+q raw:\n%q", what, c, out)
		}
	}
	if !strings.Contains(out, `\x1b[2J\x1b]0;title\x07`) || !strings.Contains(out, `\u202eevil\u009b31m`) {
		t.Errorf("%s does not show the escapes visibly:\n%q", what, out)
	}
}

func TestCLIShowsHostileTextHarmlessly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbc := mysqltest.NewConfig(t)
	d := startDev(t, devOptions{env: []string{"KDS_MYSQL_DATABASE=" + dbc.Database}})
	db, err := mysql.Open(ctx, dbc)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	d.activeTopic(t, "shown", 1)

	// A reason kds would refuse today got in some other way, such as
	// before kds refused it.
	if _, err := db.ExecContext(ctx, "UPDATE transitions SET reason = ? WHERE topic = 'shown' AND action = 'approve'", hostileText); err != nil {
		t.Fatal(err)
	}
	wantHarmless(t, "kds topic history", d.mustKds(t, "topic", "history", "shown").Stdout)
	found := false
	for _, tr := range d.history(t, "shown") {
		found = found || tr.Reason == hostileText
	}
	if !found {
		t.Errorf("kds topic history -o json does not give the reason exactly")
	}

	// A consumer process's heartbeat names its host.
	if c := call(t, "PUT", d.APIURL+"/api/v1/consumers/esc-reader/instances/instance-0001", d.AdminToken,
		`{"host":"build-7","pid":42,"attached":[]}`); c.status != 204 {
		t.Fatalf("heartbeat: %d %s", c.status, c.body)
	}
	// Alive for as long as the test may take.
	if _, err := db.ExecContext(ctx, "UPDATE consumer_instances SET host = ?, last_seen = UTC_TIMESTAMP(6) + INTERVAL 10 MINUTE WHERE id = 'instance-0001'",
		hostileText); err != nil {
		t.Fatal(err)
	}
	wantHarmless(t, "kds subscriptions", d.mustKds(t, "subscriptions").Stdout)
	var consumers []struct {
		Instances []struct {
			Host string `json:"host"`
		} `json:"instances"`
	}
	if err := json.Unmarshal([]byte(d.mustKds(t, "subscriptions", "-o", "json").Stdout), &consumers); err != nil {
		t.Fatal(err)
	}
	if len(consumers) != 1 || len(consumers[0].Instances) != 1 || consumers[0].Instances[0].Host != hostileText {
		t.Errorf("kds subscriptions -o json: %+v, want the host exactly", consumers)
	}

	// Message content, which any Kafka client may write.
	d.mustKds(t, "send", "shown", hostileText)
	got := d.mustKds(t, "consume", "--id", "esc-reader", "--topics", "shown", "--from-beginning", "--count", "1")
	wantHarmless(t, "kds consume", got.Stdout)
}
