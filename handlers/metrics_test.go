package handlers_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/command/commandtest"
	"github.com/kds-io/kds/app/topic"
	"github.com/kds-io/kds/handlers"
)

// flakyTopics fails the first update of the topics named in failOnce, as
// a database that went away for a moment would.
type flakyTopics struct {
	*commandtest.Topics
	mu       sync.Mutex
	failOnce map[string]bool
}

func (r *flakyTopics) Update(ctx context.Context, cmd command.Command, change func(*topic.Topic) (*topic.Topic, error)) error {
	r.mu.Lock()
	fail := r.failOnce[cmd.Topic]
	delete(r.failOnce, cmd.Topic)
	r.mu.Unlock()
	if fail {
		return errors.New("connection refused")
	}
	return r.Topics.Update(ctx, cmd, change)
}

// eventSink discards events.
type eventSink struct{}

func (eventSink) Publish(topic.Event) {}

// TestMetricsCountEachHandlerAttempt runs the lifecycle handler and the
// event feed on a router with the metrics middleware, over in-memory
// messages, and checks each count: applied, rejected, retried and
// poisoned commands, handler errors, transitions by action, and messages
// kds did not write.
func TestMetricsCountEachHandlerAttempt(t *testing.T) {
	t.Parallel()
	wlog := watermill.NopLogger{}
	reg := prometheus.NewRegistry()
	metrics, err := handlers.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := handlers.NewMetrics(reg); err == nil {
		t.Error("registering the metrics twice with one registry: no error")
	}
	// Publish returns once the message is handled, so that the commands
	// are handled in the order published.
	bus := gochannel.NewGoChannel(gochannel.Config{BlockPublishUntilSubscriberAck: true}, wlog)
	router, err := handlers.NewRouter(bus, handlers.RetryConfig{MaxRetries: 3, InitialInterval: time.Millisecond, MaxInterval: 5 * time.Millisecond, HandlerTimeout: 5 * time.Second}, wlog)
	if err != nil {
		t.Fatal(err)
	}
	router.AddMiddleware(metrics.Middleware)
	repo := &flakyTopics{Topics: commandtest.NewTopics(), failOnce: map[string]bool{"flaky": true}}
	signer := testSigner(t)
	handlers.AddLifecycle(router, bus, signer, command.NewApplyHandler(repo, topic.Limits{}), slog.New(slog.DiscardHandler))
	handlers.AddEventFeed(router, bus, signer, eventSink{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := router.Run(ctx); err != nil {
			t.Error(err)
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	<-router.Running()

	signed := kafka.NewSigningPublisher(bus, signer)
	publish := func(topicName string, payload []byte) {
		t.Helper()
		if err := signed.Publish(topicName, message.NewMessage(watermill.NewUUID(), payload)); err != nil {
			t.Fatal(err)
		}
	}
	publishUnsigned := func(topicName string, payload []byte) {
		t.Helper()
		if err := bus.Publish(topicName, message.NewMessage(watermill.NewUUID(), payload)); err != nil {
			t.Fatal(err)
		}
	}
	cmd := func(typ command.Type, name string) []byte {
		b, err := json.Marshal(command.Command{Type: typ, ID: uuid.NewString(), Topic: name, Actor: "root", IssuedAt: time.Now(), Partitions: 1, ReplicationFactor: 1})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	event := func(typ topic.EventType) []byte {
		b, err := json.Marshal(topic.Event{Type: typ, Topic: "orders", At: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	publish(topic.CommandsTopic, cmd(command.RequestTopicType, "orders"))
	publish(topic.CommandsTopic, cmd(command.ApproveTopicType, "orders"))
	publish(topic.CommandsTopic, cmd(command.ApproveTopicType, "orders")) // already approved
	publish(topic.CommandsTopic, cmd(command.RequestTopicType, "flaky"))  // fails once, then applied
	publish(topic.CommandsTopic, []byte("{not json"))                     // to kds.poison
	publish(topic.EventsTopic, event(topic.TopicRequested))
	publish(topic.EventsTopic, event(topic.TopicApproved))
	publish(topic.EventsTopic, event(topic.TopicActivated))
	publish(topic.EventsTopic, event(topic.CommandRejected)) // not a transition
	publishUnsigned(topic.CommandsTopic, cmd(command.DeactivateTopicType, "orders"))
	publishUnsigned(topic.EventsTopic, event(topic.TopicDeactivated))

	want := []struct {
		name   string
		labels map[string]string
		value  float64
	}{
		{"kds_commands_handled_total", map[string]string{"type": "RequestTopic", "outcome": "applied"}, 2},
		{"kds_commands_handled_total", map[string]string{"type": "RequestTopic", "outcome": "error"}, 1},
		{"kds_commands_handled_total", map[string]string{"type": "ApproveTopic", "outcome": "applied"}, 1},
		{"kds_commands_handled_total", map[string]string{"type": "ApproveTopic", "outcome": "rejected"}, 1},
		{"kds_commands_handled_total", map[string]string{"type": "malformed", "outcome": "failed"}, 1},
		{"kds_handler_errors_total", map[string]string{"handler": handlers.LifecycleHandler}, 3},
		{"kds_unverified_messages_total", map[string]string{"handler": handlers.LifecycleHandler}, 1},
		{"kds_unverified_messages_total", map[string]string{"handler": handlers.EventFeedHandler}, 1},
		{"kds_topic_transitions_total", map[string]string{"action": "request"}, 1},
		{"kds_topic_transitions_total", map[string]string{"action": "approve"}, 1},
		{"kds_topic_transitions_total", map[string]string{"action": "activate"}, 1},
	}
	deadline := time.Now().Add(10 * time.Second)
	for _, w := range want {
		for {
			got := counterValue(t, reg, w.name, w.labels)
			if got == w.value {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s%v = %v, want %v", w.name, w.labels, got, w.value)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	if n := seriesCount(t, reg, "kds_topic_transitions_total"); n != 3 {
		t.Errorf("%d series of transitions, want 3: CommandRejected is not a transition, and kds did not write the deactivation", n)
	}
	if n := seriesCount(t, reg, "kds_commands_handled_total"); n != 5 {
		t.Errorf("%d series of handled commands, want 5: kds did not write the deactivation", n)
	}
}

// counterValue is the value of the counter name with exactly labels, or 0.
func counterValue(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metric:
		for _, m := range f.GetMetric() {
			if len(m.GetLabel()) != len(labels) {
				continue
			}
			for _, l := range m.GetLabel() {
				if labels[l.GetName()] != l.GetValue() {
					continue metric
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

func seriesCount(t *testing.T, reg *prometheus.Registry, name string) int {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name {
			return len(f.GetMetric())
		}
	}
	return 0
}
