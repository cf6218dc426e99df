package commandtest

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/subscription"
)

// SubscriptionRepositoryContract runs the behaviour every
// command.SubscriptionRepository must have; newRepo returns an empty one.
func SubscriptionRepositoryContract(t *testing.T, newRepo func(t *testing.T) command.SubscriptionRepository) {
	ctx := context.Background()
	sub := func(consumer, topic string, generation int) subscription.Subscription {
		return subscription.Subscription{ConsumerID: subscription.ConsumerID(consumer), Topic: topic, Generation: generation,
			Group: "kds-consumer." + consumer + "." + topic + ".0001", CreatedBy: "alice", CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
	}

	t.Run("subscribing twice to one generation keeps the first subscription", func(t *testing.T) {
		t.Parallel()
		repo := newRepo(t)
		first, created, err := repo.Subscribe(ctx, sub("c1", "news", 1))
		if err != nil || !created {
			t.Fatalf("first subscribe: created %v, %v", created, err)
		}
		again := sub("c1", "news", 1)
		again.Group = "another-group"
		got, created, err := repo.Subscribe(ctx, again)
		if err != nil || created || got.Group != first.Group {
			t.Fatalf("second subscribe: created %v, group %q, %v; want the first subscription back", created, got.Group, err)
		}
		next := sub("c1", "news", 2)
		next.Group = "next-generation"
		got, created, err = repo.Subscribe(ctx, next)
		if err != nil || !created || got.Group != "next-generation" {
			t.Fatalf("subscribe to a new generation: created %v, group %q, %v", created, got.Group, err)
		}
	})

	t.Run("unsubscribe ends it, once", func(t *testing.T) {
		t.Parallel()
		repo := newRepo(t)
		if _, _, err := repo.Subscribe(ctx, sub("c1", "news", 1)); err != nil {
			t.Fatal(err)
		}
		if err := repo.Unsubscribe(ctx, "c1", "news", "alice"); err != nil {
			t.Fatal(err)
		}
		var notSubscribed *command.NotSubscribedError
		if err := repo.Unsubscribe(ctx, "c1", "news", "alice"); !errors.As(err, &notSubscribed) {
			t.Fatalf("second unsubscribe: %v, want NotSubscribedError", err)
		}
		if _, created, err := repo.Subscribe(ctx, sub("c1", "news", 1)); err != nil || !created {
			t.Fatalf("subscribe after unsubscribe: created %v, %v", created, err)
		}
	})

	t.Run("ending a generation ends its subscriptions and earlier ones, not later ones or other topics", func(t *testing.T) {
		t.Parallel()
		repo := newRepo(t)
		for _, s := range []subscription.Subscription{sub("c1", "news", 1), sub("c2", "news", 2), sub("c3", "news", 3), sub("c1", "sports", 1)} {
			if _, _, err := repo.Subscribe(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := repo.EndAll(ctx, map[string]int{"news": 2, "weather": 1}, "topic-manager"); err != nil || n != 2 {
			t.Fatalf("EndAll(news 2, weather 1) = %d, %v; want 2 ended", n, err)
		}
		if n, err := repo.EndAll(ctx, map[string]int{"news": 2}, "topic-manager"); err != nil || n != 0 {
			t.Fatalf("EndAll(news 2) again = %d, %v; want none left to end", n, err)
		}
		var notSubscribed *command.NotSubscribedError
		for _, c := range []subscription.ConsumerID{"c1", "c2"} {
			if err := repo.Unsubscribe(ctx, c, "news", "alice"); !errors.As(err, &notSubscribed) {
				t.Errorf("unsubscribe %s from news after its generation ended: %v, want NotSubscribedError", c, err)
			}
		}
		if err := repo.Unsubscribe(ctx, "c3", "news", "alice"); err != nil {
			t.Errorf("the subscription to a later generation ended too: %v", err)
		}
		if err := repo.Unsubscribe(ctx, "c1", "sports", "alice"); err != nil {
			t.Errorf("the subscription to another topic ended too: %v", err)
		}
	})

	t.Run("only live instances that consume a topic are attached to it", func(t *testing.T) {
		t.Parallel()
		repo := newRepo(t)
		now := time.Now().UTC()
		report := func(id string, seen time.Time, attached ...string) {
			t.Helper()
			if err := repo.Report(ctx, subscription.Instance{ID: id, ConsumerID: "c1", Host: "h", PID: 1, Attached: attached, LastSeen: seen}); err != nil {
				t.Fatal(err)
			}
		}
		report("instance-a", now, "news", "sports")
		report("instance-b", now, "sports")
		report("instance-old", now.Add(-time.Minute), "news")
		ids := func(topics ...string) map[string][]string {
			t.Helper()
			got, err := repo.AttachedTo(ctx, topics, now.Add(-10*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			out := map[string][]string{}
			for topic, insts := range got {
				for _, in := range insts {
					out[topic] = append(out[topic], in.ID)
				}
			}
			return out
		}
		if got := ids("news", "sports", "weather"); !maps.EqualFunc(got, map[string][]string{"news": {"instance-a"}, "sports": {"instance-a", "instance-b"}}, slices.Equal) {
			t.Fatalf("attached to news, sports and weather: %v", got)
		}
		report("instance-a", now, "sports")
		if got := ids("news"); len(got) != 0 {
			t.Fatalf("after detaching: %v", got)
		}
		if err := repo.Leave(ctx, "c1", "instance-b"); err != nil {
			t.Fatal(err)
		}
		if got := ids("sports"); !maps.EqualFunc(got, map[string][]string{"sports": {"instance-a"}}, slices.Equal) {
			t.Fatalf("attached to sports after instance-b left: %v", got)
		}
	})
}
