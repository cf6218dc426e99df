package main_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/kds-io/kds/adapters/httpapi/apiclient"
	"github.com/kds-io/kds/adapters/httpapi/apiv1"
	"github.com/kds-io/kds/app/auth"
	"github.com/kds-io/kds/app/topic"
)

// TestAccessFollowsEachDecision measures, round after round, how long
// after an approval a producer the request named can write, and how long
// after its token's revocation it is refused on the connection it had
// open, and checks that each happens. KDS_ACL_LATENCY_ROUNDS runs more
// rounds (docs/BENCHMARKS.md); the times are logged, never asserted.
func TestAccessFollowsEachDecision(t *testing.T) {
	t.Parallel()
	rounds := roundsFromEnv("KDS_ACL_LATENCY_ROUNDS", 3)
	d := startDev(t, devOptions{args: []string{"--kafka-sasl", "SCRAM-SHA-512"}})
	admin, err := apiclient.New(d.APIURL, d.AdminToken)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var writable, refused, activated []time.Duration
	for i := range rounds {
		name := fmt.Sprintf("lat-%d", i)
		tok, err := admin.CreateToken(ctx, apiv1.TokenRequest{Name: "writer-" + strconv.Itoa(i), Role: auth.Producer})
		if err != nil {
			t.Fatal(err)
		}
		req, err := admin.RequestTopic(ctx, apiv1.TopicRequest{Name: name, Partitions: 1, Producers: []string{tok.Name}})
		if err != nil {
			t.Fatal(err)
		}
		if c, err := admin.Command(ctx, req.Command.ID, commandTimeout); err != nil || c.Status != "applied" {
			t.Fatalf("request %s: %s, %v", name, c.Status, err)
		}
		writer := d.kafkaLogin(t, tok.Secret)

		start := time.Now()
		if _, err := admin.Decide(ctx, name, "approve", ""); err != nil {
			t.Fatal(err)
		}
		for err := writeOne(writer, name); err != nil; err = writeOne(writer, name) {
			if time.Since(start) > commandTimeout {
				t.Fatalf("%s cannot write %s %s after its approval: %v", tok.Name, name, commandTimeout, err)
			}
		}
		writable = append(writable, time.Since(start))
		activated = append(activated, approvedToActive(t, admin, name))

		start = time.Now()
		if err := admin.RevokeToken(ctx, tok.ID); err != nil {
			t.Fatal(err)
		}
		for err := writeOne(writer, name); !refusedACL(err); err = writeOne(writer, name) {
			if time.Since(start) > commandTimeout {
				t.Fatalf("%s still writes %s %s after its revocation: %v", tok.Name, name, commandTimeout, err)
			}
		}
		refused = append(refused, time.Since(start))
	}
	t.Logf("approval → active, as the server recorded it: %s", spread(activated))
	t.Logf("approval → a named producer writes: %s", spread(writable))
	t.Logf("revocation → its open connection is refused: %s", spread(refused))
}

// spread is the median, 99th percentile and range of ds.
func spread(ds []time.Duration) string {
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(q float64) time.Duration { return s[min(len(s)-1, int(q*float64(len(s))))] }
	return fmt.Sprintf("p50 %s, p99 %s, range %s to %s, %d rounds", at(0.5).Round(time.Microsecond*100), at(0.99).Round(time.Microsecond*100),
		s[0].Round(time.Microsecond*100), s[len(s)-1].Round(time.Microsecond*100), len(s))
}

// approvedToActive is the time from a topic's approval to its activation,
// as its history records them; the topic may be written to a moment before
// its activation is recorded.
func approvedToActive(t *testing.T, api *apiclient.Client, name string) time.Duration {
	t.Helper()
	if _, err := api.WaitTopic(context.Background(), name, topic.Approved, commandTimeout); err != nil {
		t.Fatal(err)
	}
	h, err := api.History(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	var approved, active time.Time
	for _, tr := range h {
		switch tr.Action {
		case topic.Approve:
			approved = tr.At
		case topic.Activate:
			active = tr.At
		}
	}
	if approved.IsZero() || active.IsZero() {
		t.Fatalf("history of %s has no approval and activation: %+v", name, h)
	}
	return active.Sub(approved)
}
