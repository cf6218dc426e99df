package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/adapters/kafka/kafkatest"
	"github.com/kds-io/kds/adapters/mysql"
	"github.com/kds-io/kds/app/content"
	"github.com/kds-io/kds/app/subscription"
	"github.com/kds-io/kds/app/topic"
	"github.com/kds-io/kds/handlers"
)

type recordingSink struct {
	mu      sync.Mutex
	got     map[string][]string
	notices []string
}

func (s *recordingSink) Deliver(msgs []content.Message) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range msgs {
		s.got[m.Topic] = append(s.got[m.Topic], m.Value)
	}
	return len(msgs), nil
}

func (s *recordingSink) Notify(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notices = append(s.notices, fmt.Sprintf(format, args...))
}

func (s *recordingSink) count(topicName string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.got[topicName])
}

// logLines keeps what a JSON slog handler writes, a record a line.
type logLines struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logLines) records(t *testing.T) []map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for line := range bytes.Lines(l.buf.Bytes()) {
		var r map[string]any
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, r)
	}
	return out
}

type consumerFixture struct {
	log      *logLines
	kc       kafka.Config
	pub      message.Publisher
	router   *message.Router
	consumer *handlers.Consumer
	sink     *recordingSink
	// wanted is what the API says the consumer should run.
	mu     sync.Mutex
	wanted []subscription.Subscription
	// beforeSubscribe, when set, runs before each subscription's Subscribe;
	// its error fails the Subscribe, as an unreachable Kafka does.
	beforeSubscribe func(subscription.Subscription) error
}

// hookedSubscriber is a real subscriber whose Subscribe runs a test's hook
// first.
type hookedSubscriber struct {
	message.Subscriber
	sub  subscription.Subscription
	hook func(subscription.Subscription) error
}

func (s hookedSubscriber) Subscribe(ctx context.Context, topicName string) (<-chan *message.Message, error) {
	if err := s.hook(s.sub); err != nil {
		return nil, err
	}
	return s.Subscriber.Subscribe(ctx, topicName)
}

func startConsumer(t *testing.T, topics ...string) *consumerFixture {
	t.Helper()
	_, kc := kafkatest.Start(t)
	kafkatest.CreateTopics(t, kc, 3, append(topics, topic.EventsTopic)...)
	pub, err := kafka.NewPublisher(kc, mysql.KeyMetadata, watermill.NopLogger{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pub.Close() })
	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: 5 * time.Second}, watermill.NopLogger{})
	if err != nil {
		t.Fatal(err)
	}
	f := &consumerFixture{log: &logLines{}, kc: kc, pub: pub, router: router, sink: &recordingSink{got: map[string][]string{}}}
	ctx, cancel := context.WithCancel(context.Background())
	f.consumer = handlers.NewConsumer(ctx, "c1", router,
		func(_ context.Context, s subscription.Subscription) (message.Subscriber, error) {
			subscriber, err := kafka.NewBatchSubscriber(kc, s.Group, kafka.FromOldest, watermill.NopLogger{})
			if err != nil || f.beforeSubscribe == nil {
				return subscriber, err
			}
			return hookedSubscriber{Subscriber: subscriber, sub: s, hook: f.beforeSubscribe}, nil
		},
		func(context.Context) ([]subscription.Subscription, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			return slices.Clone(f.wanted), nil
		},
		f.sink, func() {})
	events, err := kafka.NewSubscriber(kc, kafka.FromNewest, watermill.NopLogger{})
	if err != nil {
		t.Fatal(err)
	}
	handlers.AddConsumerEvents(router, events, f.consumer, slog.New(slog.NewJSONHandler(f.log, &slog.HandlerOptions{Level: slog.LevelDebug})))
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = router.Run(ctx)
	}()
	t.Cleanup(func() {
		f.consumer.Close()
		cancel()
		<-done
	})
	<-router.Running()
	return f
}

// want sets what the API says the consumer should run.
func (f *consumerFixture) want(subs ...subscription.Subscription) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.wanted = subs
}

func sub(topicName string) subscription.Subscription {
	return subscription.Subscription{ConsumerID: "c1", Topic: topicName, Generation: 1, Group: "kds-consumer.c1." + topicName + "." + watermill.NewShortUUID()}
}

func (f *consumerFixture) send(t *testing.T, topicName string, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		if err := f.pub.Publish(topicName, message.NewMessage(watermill.NewUUID(), []byte(fmt.Sprint(i)))); err != nil {
			t.Fatal(err)
		}
	}
}

func await(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestSubscriptionsChangeWithoutDisturbingOthers subscribes and unsubscribes
// at runtime while messages flow on a topic nobody touches.
func TestSubscriptionsChangeWithoutDisturbingOthers(t *testing.T) {
	t.Parallel()
	f := startConsumer(t, "steady", "dropped", "added")
	for _, s := range []subscription.Subscription{sub("steady"), sub("dropped")} {
		if err := f.consumer.Attach(s); err != nil {
			t.Fatal(err)
		}
	}
	flowing := make(chan struct{})
	go func() {
		defer close(flowing)
		f.send(t, "steady", 0, 600)
	}()
	f.send(t, "dropped", 0, 50)
	await(t, "the dropped topic's messages", func() bool { return f.sink.count("dropped") == 50 })
	f.consumer.Detach("dropped")
	if err := f.consumer.Attach(sub("added")); err != nil {
		t.Fatal(err)
	}
	f.send(t, "dropped", 50, 80)
	f.send(t, "added", 0, 40)
	<-flowing
	await(t, "every steady message", func() bool { return f.sink.count("steady") >= 600 })
	await(t, "the added topic's messages", func() bool { return f.sink.count("added") == 40 })

	f.sink.mu.Lock()
	defer f.sink.mu.Unlock()
	seen := map[string]bool{}
	for _, v := range f.sink.got["steady"] {
		if seen[v] {
			t.Fatalf("message %s on the untouched topic arrived twice", v)
		}
		seen[v] = true
	}
	if len(seen) != 600 {
		t.Fatalf("%d distinct messages of 600 on the untouched topic", len(seen))
	}
	if n := len(f.sink.got["dropped"]); n != 50 {
		t.Fatalf("%d messages from the dropped topic, want the 50 sent before unsubscribing", n)
	}
	if got := f.consumer.Attached(); len(got) != 2 || got[0] != "added" || got[1] != "steady" {
		t.Fatalf("attached %v", got)
	}
}

func TestDeactivationDetaches(t *testing.T) {
	t.Parallel()
	f := startConsumer(t, "news", "sports")
	for _, s := range []subscription.Subscription{sub("news"), sub("sports")} {
		if err := f.consumer.Attach(s); err != nil {
			t.Fatal(err)
		}
	}
	payload, _ := json.Marshal(topic.Event{Type: topic.TopicDeactivated, Topic: "news", Actor: "root", At: time.Now()})
	m := message.NewMessage(watermill.NewUUID(), payload)
	m.Metadata.Set(mysql.KeyMetadata, "news")
	// The events handler reads from the newest offset it found at start;
	// publish until it has seen one.
	await(t, "news to be detached", func() bool {
		if err := f.pub.Publish(topic.EventsTopic, m); err != nil {
			t.Fatal(err)
		}
		got := f.consumer.Attached()
		f.sink.mu.Lock()
		defer f.sink.mu.Unlock()
		// The notice follows the detach.
		return len(got) == 1 && got[0] == "sports" && len(f.sink.notices) > 0
	})
	f.sink.mu.Lock()
	defer f.sink.mu.Unlock()
	if f.sink.notices[0] != "topic news was deactivated by root: unsubscribed" {
		t.Fatalf("notices %q", f.sink.notices)
	}
}

// TestMalformedEventsAreLoggedAndSkipped: an event that is not JSON is
// logged once, with where it was read, and skipped; the events behind it
// are followed.
func TestMalformedEventsAreLoggedAndSkipped(t *testing.T) {
	t.Parallel()
	f := startConsumer(t, "news")
	if err := f.consumer.Attach(sub("news")); err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(topic.Event{Type: topic.TopicDeactivated, Topic: "news", Actor: "root", At: time.Now()})
	await(t, "news to be detached", func() bool {
		for _, p := range [][]byte{[]byte("{not json"), payload} {
			m := message.NewMessage(watermill.NewUUID(), p)
			m.Metadata.Set(mysql.KeyMetadata, "news")
			if err := f.pub.Publish(topic.EventsTopic, m); err != nil {
				t.Fatal(err)
			}
		}
		return len(f.consumer.Attached()) == 0
	})
	seen := map[string]bool{}
	for _, r := range f.log.records(t) {
		if r["msg"] != "skipped a malformed event" {
			continue
		}
		where := fmt.Sprintf("%v/%v/%v", r["topic"], r["partition"], r["offset"])
		if r["level"] != "WARN" || r["topic"] != topic.EventsTopic || r["partition"] == nil || r["offset"] == nil || r["error"] == nil || seen[where] {
			t.Errorf("logged %v", r)
		}
		seen[where] = true
	}
	if len(seen) == 0 {
		t.Fatal("no malformed event was logged")
	}
}

// TestDeactivationTheAPIDeniesDetachesNothing: a consumer process cannot
// tell who wrote an event, so a deactivation of a topic the API still has
// it subscribed to, as anyone who can write to kds.events can forge, leaves
// the subscription running.
func TestDeactivationTheAPIDeniesDetachesNothing(t *testing.T) {
	t.Parallel()
	f := startConsumer(t, "news", "sports")
	news := sub("news")
	for _, s := range []subscription.Subscription{news, sub("sports")} {
		if err := f.consumer.Attach(s); err != nil {
			t.Fatal(err)
		}
	}
	f.want(news)
	deactivated := func(name string) *message.Message {
		payload, _ := json.Marshal(topic.Event{Type: topic.TopicDeactivated, Topic: name, Actor: "mallory", At: time.Now()})
		m := message.NewMessage(watermill.NewUUID(), payload)
		// One key, so one partition: handled in the order published.
		m.Metadata.Set(mysql.KeyMetadata, "news")
		return m
	}
	// The events handler reads from the newest offset it found at start;
	// publish until sports, which the API no longer has, is detached: the
	// deactivations of news before it have been handled by then.
	await(t, "sports to be detached", func() bool {
		if err := f.pub.Publish(topic.EventsTopic, deactivated("news"), deactivated("sports")); err != nil {
			t.Fatal(err)
		}
		return !slices.Contains(f.consumer.Attached(), "sports")
	})
	if got := f.consumer.Attached(); !slices.Equal(got, []string{"news"}) {
		t.Fatalf("attached %v, want news, which the API still has", got)
	}
	f.sink.mu.Lock()
	defer f.sink.mu.Unlock()
	if !slices.Equal(f.sink.notices, []string{"topic sports was deactivated by mallory: unsubscribed"}) {
		t.Fatalf("notices %q", f.sink.notices)
	}
}

// TestRefreshFollowsTheWantedSubscriptions refreshes with a context that
// ends at once, as a message's does when its handler returns: the
// subscriptions it starts must live on.
func TestRefreshFollowsTheWantedSubscriptions(t *testing.T) {
	t.Parallel()
	f := startConsumer(t, "one", "two")
	refresh := func() {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		if err := f.consumer.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
	}
	one, two := sub("one"), sub("two")
	f.want(one, two)
	refresh()
	f.want(two)
	refresh()
	if got := f.consumer.Attached(); len(got) != 1 || got[0] != "two" {
		t.Fatalf("attached %v, want [two]", got)
	}
	f.send(t, "two", 0, 10)
	await(t, "messages on the refreshed subscription", func() bool { return f.sink.count("two") == 10 })
}

// TestFailedSubscribeLeavesTheConsumerWorking fails one Subscribe, as an
// unreachable Kafka does: retrying it, and attaching other topics, must
// work, and the router must still close at once.
func TestFailedSubscribeLeavesTheConsumerWorking(t *testing.T) {
	t.Parallel()
	f := startConsumer(t, "flaky", "later")
	var refused atomic.Bool
	f.beforeSubscribe = func(subscription.Subscription) error {
		if refused.CompareAndSwap(false, true) {
			return errors.New("kafka unreachable")
		}
		return nil
	}
	flaky := sub("flaky")
	if err := f.consumer.Attach(flaky); err == nil {
		t.Fatal("the first Subscribe was refused, yet Attach succeeded")
	}
	if got := f.consumer.Attached(); len(got) != 0 {
		t.Fatalf("attached %v after a failed Subscribe", got)
	}
	if err := f.consumer.Attach(flaky); err != nil {
		t.Fatalf("attach again: %v", err)
	}
	f.send(t, "flaky", 0, 10)
	await(t, "messages on the retried subscription", func() bool { return f.sink.count("flaky") == 10 })
	if err := f.consumer.Attach(sub("later")); err != nil {
		t.Fatalf("attach another topic: %v", err)
	}
	f.send(t, "later", 0, 10)
	await(t, "messages on the later subscription", func() bool { return f.sink.count("later") == 10 })
	f.consumer.Close()
	if err := f.router.Close(); err != nil {
		t.Fatalf("close the router: %v", err)
	}
}
