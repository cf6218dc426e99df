package command_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kds-io/kds/app/auth"
	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/content"
	"github.com/kds-io/kds/app/subscription"
	"github.com/kds-io/kds/app/topic"
)

var consumer = auth.Principal{Name: "reader", Role: auth.Consumer, Consumers: []string{"c1"}}

// activeTopic takes name through request, approve and activation.
func (f fixture) activeTopic(t *testing.T, name string) {
	t.Helper()
	f.run(t, producer, command.Issue{Type: command.RequestTopicType, Topic: name})
	f.run(t, admin, command.Issue{Type: command.ApproveTopicType, Topic: name})
	if err := f.manager().Activate(context.Background(), name, 1); err != nil {
		t.Fatal(err)
	}
}

func TestSubscribeOnlyToActiveTopics(t *testing.T) {
	t.Parallel()
	f := newFixture()
	subs := command.NewSubscriptions(f.topics, f.subs)
	ctx := context.Background()
	f.activeTopic(t, "news")
	f.run(t, producer, command.Issue{Type: command.RequestTopicType, Topic: "later"})

	s, created, err := subs.Subscribe(ctx, consumer, "c1", "news", true)
	if err != nil || !created || s.Generation != 1 || !s.FromBeginning || s.CreatedBy != "reader" || !strings.HasPrefix(s.Group, "kds-consumer.c1.news.") {
		t.Fatalf("subscribe: %+v, created %v, %v", s, created, err)
	}
	again, created, err := subs.Subscribe(ctx, consumer, "c1", "news", false)
	if err != nil || created || again.Group != s.Group {
		t.Fatalf("subscribing again: %+v, created %v, %v; want the same subscription", again, created, err)
	}
	for _, tt := range []struct {
		by         auth.Principal
		consumer   string
		topic, msg string
	}{
		{consumer, "c1", "later", `topic "later" is pending, not active`},
		{consumer, "c1", "nothing", `topic "nothing" does not exist`},
		{consumer, "c 1", "news", `invalid consumer id "c 1"`},
		{viewer, "c1", "news", "may not subscribe"},
		{producer, "c1", "news", "may not subscribe"},
	} {
		_, _, err := subs.Subscribe(ctx, tt.by, tt.consumer, tt.topic, false)
		if err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("subscribe %s to %s as %s: %v, want %q", tt.consumer, tt.topic, tt.by.Role, err, tt.msg)
		}
	}
	var inactive *content.NotActiveError
	if _, _, err := subs.Subscribe(ctx, consumer, "c1", "later", false); !errors.As(err, &inactive) || inactive.Status != topic.Pending {
		t.Fatalf("subscribing to a pending topic: %v, want a NotActiveError saying it is pending", err)
	}
	if err := subs.Unsubscribe(ctx, consumer, "c1", "news"); err != nil {
		t.Fatal(err)
	}
	var notSubscribed *command.NotSubscribedError
	if err := subs.Unsubscribe(ctx, consumer, "c1", "news"); !errors.As(err, &notSubscribed) {
		t.Fatalf("unsubscribing twice: %v", err)
	}
}

// TestConsumerTokensActOnlyForTheirConsumers: a consumer's token
// subscribes, unsubscribes and reports processes for the consumer ids it
// was made for only; an admin acts for any.
func TestConsumerTokensActOnlyForTheirConsumers(t *testing.T) {
	t.Parallel()
	f := newFixture()
	subs := command.NewSubscriptions(f.topics, f.subs)
	ctx := context.Background()
	f.activeTopic(t, "news")
	other := auth.Principal{Name: "intruder", Role: auth.Consumer, Consumers: []string{"intruder", "c9"}}
	if _, _, err := subs.Subscribe(ctx, consumer, "c1", "news", false); err != nil {
		t.Fatal(err)
	}
	inst := subscription.Instance{ID: "instance-1", ConsumerID: "c1", Host: "laptop", PID: 42}
	wantRefused := func(what string, err error) {
		t.Helper()
		var forbidden *auth.ConsumerForbiddenError
		if !errors.As(err, &forbidden) || !strings.Contains(err.Error(), `consumer "intruder" may act only for consumer ids intruder, c9, not "c1"`) {
			t.Errorf("%s for another consumer: %v", what, err)
		}
	}
	_, _, err := subs.Subscribe(ctx, other, "c1", "news", false)
	wantRefused("subscribe", err)
	wantRefused("unsubscribe", subs.Unsubscribe(ctx, other, "c1", "news"))
	wantRefused("heartbeat", subs.Report(ctx, other, inst))
	wantRefused("goodbye", subs.Leave(ctx, other, "c1", "instance-1"))
	if err := subs.Report(ctx, consumer, inst); err != nil {
		t.Fatalf("the consumer's own heartbeat: %v", err)
	}
	if err := subs.Unsubscribe(ctx, admin, "c1", "news"); err != nil {
		t.Fatalf("an admin unsubscribing any consumer: %v", err)
	}
}

// TestHeartbeatHostsAreText: a process's host is shown to people, so it
// may hold no control or invisible formatting characters.
func TestHeartbeatHostsAreText(t *testing.T) {
	t.Parallel()
	f := newFixture()
	subs := command.NewSubscriptions(f.topics, f.subs)
	for _, host := range []string{"build\x1b]0;title\x07", "a\nb", "\u202ehost"} {
		err := subs.Report(context.Background(), consumer, subscription.Instance{ID: "instance-1", ConsumerID: "c1", Host: host, PID: 1})
		var invalid *command.InvalidInstanceError
		if !errors.As(err, &invalid) || !strings.Contains(err.Error(), "host: character") {
			t.Errorf("host %+q: %v, want an InvalidInstanceError about the host", host, err)
		}
	}
	if err := subs.Report(context.Background(), consumer, subscription.Instance{ID: "instance-1", ConsumerID: "c1", Host: "build-7.example", PID: 1}); err != nil {
		t.Errorf("a plain host: %v", err)
	}
}

func TestDeletionWaitsForConsumersToDetach(t *testing.T) {
	t.Parallel()
	f := newFixture()
	ctx := context.Background()
	f.activeTopic(t, "news")
	report := func(attached ...string) {
		t.Helper()
		if err := f.subs.Report(ctx, subscription.Instance{ID: "instance-1", ConsumerID: "c1", Host: "laptop", PID: 42, Attached: attached, LastSeen: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	report("news")
	f.run(t, admin, command.Issue{Type: command.DeactivateTopicType, Topic: "news"})
	deleted := make(chan error, 1)
	go func() { deleted <- f.manager().Delete(ctx, "news", 1) }()
	select {
	case err := <-deleted:
		t.Fatalf("deleted while a consumer was attached: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	if !f.cluster.Exists("news") {
		t.Fatal("the topic left Kafka before its consumer detached")
	}
	report()
	if err := <-deleted; err != nil {
		t.Fatal(err)
	}
	if f.cluster.Exists("news") {
		t.Fatal("the topic is still in Kafka")
	}
	last := f.topics.Events()[len(f.topics.Events())-1]
	if last.Type != topic.TopicDeleted || last.Reason != "" {
		t.Fatalf("last event %+v, want TopicDeleted without a note", last)
	}
}

func TestDeletionCutsOffAConsumerThatDoesNotDetach(t *testing.T) {
	t.Parallel()
	f := newFixture()
	ctx := context.Background()
	f.activeTopic(t, "news")
	if err := f.subs.Report(ctx, subscription.Instance{ID: "instance-1", ConsumerID: "stuck", Host: "laptop", PID: 42, Attached: []string{"news"}, LastSeen: time.Now()}); err != nil {
		t.Fatal(err)
	}
	f.run(t, admin, command.Issue{Type: command.DeactivateTopicType, Topic: "news"})
	if err := f.manager().Delete(ctx, "news", 1); err != nil {
		t.Fatal(err)
	}
	last := f.topics.Events()[len(f.topics.Events())-1]
	if last.Type != topic.TopicDeleted || !strings.Contains(last.Reason, "stuck (laptop pid 42)") {
		t.Fatalf("last event %+v, want TopicDeleted noting the consumer cut off", last)
	}
}
