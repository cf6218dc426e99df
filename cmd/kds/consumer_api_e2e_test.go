package main_test

import (
	"strings"
	"testing"
	"time"
)

// TestConsumerStopsWhenItsTokenIsRefused: a consumer whose token is
// revoked stops with an error that says so, rather than consume on while
// kds counts it dead.
func TestConsumerStopsWhenItsTokenIsRefused(t *testing.T) {
	t.Parallel()
	d := startDev(t, devOptions{})
	d.activeTopic(t, "watched", 1)
	token := d.createToken(t, "watcher", "consumer")
	c := d.startAs(t, token, "consume", "--id", "watcher", "--topics", "watched", "-o", "json")
	c.waitStderr(t, "✓ subscribed to watched")
	d.waitAttached(t, "watcher", c.pid(), "watched")

	id := strings.Split(token, "_")[1]
	d.mustKds(t, "token", "revoke", id)
	if code := c.wait(t, 10*time.Second); code != 1 {
		t.Fatalf("kds consume exited %d after its token was revoked, want 1", code)
	}
	if want := "kds: the kds API refused this consumer's token, so consumer watcher stopped consuming (kds consume with a valid token resumes where it stopped): missing or invalid API token"; !strings.Contains(c.stderr.String(), want) {
		t.Errorf("stderr does not say %q:\n%s", want, c.stderr)
	}
}

// TestConsumerSaysWhenTheAPIGoesAway: a consumer whose API stops answering
// says so, and what it does meanwhile.
func TestConsumerSaysWhenTheAPIGoesAway(t *testing.T) {
	t.Parallel()
	d := startDev(t, devOptions{})
	d.activeTopic(t, "watched", 1)
	c := d.start(t, "consume", "--id", "orphan", "--topics", "watched", "-o", "json")
	c.waitStderr(t, "✓ subscribed to watched")
	d.stop(t)
	c.waitStderr(t, "cannot reach the kds API at "+d.APIURL, "consuming goes on, but kds does not count this process alive until it answers: asking again every 2s")
}
