package content_test

import (
	"testing"
	"time"

	"github.com/kds-io/kds/app/content"
	"github.com/kds-io/kds/app/topic"
)

// events publishes t's transitions as the repository would.
func events(t *topic.Topic) []topic.Event {
	var out []topic.Event
	for _, tr := range t.Transitions() {
		out = append(out, topic.NewEvent(tr, "cmd", time.Now()))
	}
	return out
}

func TestActiveTopicsFollowWhereEveryTransitionLeadsATopic(t *testing.T) {
	t.Parallel()
	spec := topic.Spec{Partitions: 1, ReplicationFactor: 1}
	news, err := topic.New(topic.MustParseName("news"), spec, topic.Limits{}, "alice", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, move := range []func() error{
		func() error { return news.Approve("root", "") },
		func() error { return news.Activate("tm") },
		func() error { return news.RecordRepair("tm", "recreated") },
		func() error { return news.Deactivate("root", "") },
		func() error { return news.MarkDeleted("tm", "") },
	} {
		if err := move(); err != nil {
			t.Fatal(err)
		}
	}
	legacy, err := topic.NewImported(topic.MustParseName("legacy"), spec, "tm", "found in Kafka")
	if err != nil {
		t.Fatal(err)
	}

	a := content.NewActiveTopics(nil)
	for _, ev := range append(events(news), events(legacy)...) {
		was := a.IsActive(ev.Topic)
		changed := a.Apply(ev)
		if is := a.IsActive(ev.Topic); is != (ev.Status == topic.Active) || changed != (was != is) {
			t.Errorf("after %s (%s): active %v, changed %v", ev.Type, ev.Status, is, changed)
		}
	}
	for _, ev := range []topic.Event{
		{Type: topic.SubscriptionChanged, Topic: "legacy", Generation: 1, ConsumerID: "c1", Subscription: topic.Subscribed},
		{Type: topic.CommandRejected, Topic: "legacy", Error: "it is active"},
	} {
		if a.Apply(ev) || !a.IsActive("legacy") {
			t.Errorf("%s changed an active topic", ev.Type)
		}
	}
}
