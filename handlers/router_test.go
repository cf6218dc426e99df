package handlers_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/kds-io/kds/adapters/httpapi"
	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/adapters/kafka/kafkatest"
	"github.com/kds-io/kds/adapters/mysql"
	"github.com/kds-io/kds/adapters/mysql/mysqltest"
	"github.com/kds-io/kds/app/auth"
	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/query"
	"github.com/kds-io/kds/app/topic"
	"github.com/kds-io/kds/handlers"
)

// stack is every handler on one router over a real MariaDB and kfake.
type stack struct {
	kafka kafka.Config
	// pub publishes as anyone with access to Kafka can; signed as kds does.
	pub, signed message.Publisher
	signer      *kafka.Signer
	issue       command.IssueHandler
	read        *mysql.ReadModel
	events      *httpapi.Broadcaster
}

// testSigner signs with a key made for one test.
func testSigner(t *testing.T) *kafka.Signer {
	t.Helper()
	secret := make([]byte, kafka.MinMessageKeyBytes)
	_, _ = rand.Read(secret)
	keys, err := kafka.ParseMessageKeys([]string{"test:" + base64.StdEncoding.EncodeToString(secret)})
	if err != nil {
		t.Fatal(err)
	}
	s, err := kafka.NewSigner(keys, mysql.KeyMetadata)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func startStack(t *testing.T) stack {
	t.Helper()
	db, _ := mysqltest.NewDatabase(t)
	_, kc := kafkatest.Start(t)
	kafkatest.CreateTopics(t, kc, 4, topic.InternalTopics...)
	cluster, err := kafka.NewCluster(kc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cluster.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	wlog := watermill.NopLogger{}
	pub, err := kafka.NewPublisher(kc, mysql.KeyMetadata, wlog)
	if err != nil {
		t.Fatal(err)
	}
	outbox := mysql.NewOutbox(wlog)
	repo := mysql.NewTopicRepository(db, outbox)
	router, err := handlers.NewRouter(pub, handlers.RetryConfig{MaxRetries: 1, InitialInterval: 10 * time.Millisecond, MaxInterval: 50 * time.Millisecond, HandlerTimeout: 10 * time.Second}, wlog)
	if err != nil {
		t.Fatal(err)
	}
	// As kds serve reads: kds's own handlers in groups, the API's event
	// feed without one.
	subscriber := func(group string) message.Subscriber {
		sub, err := kafka.NewKeyedSubscriber(kc, group, kafka.FromOldest, kafka.DefaultInFlight, wlog)
		if err != nil {
			t.Fatal(err)
		}
		return sub
	}
	log := slog.New(slog.DiscardHandler)
	signer := testSigner(t)
	handlers.AddLifecycle(router, subscriber(handlers.LifecycleHandler), signer, command.NewApplyHandler(repo, topic.Limits{}), log)
	handlers.AddTopicManager(router, subscriber(handlers.TopicManagerHandler), signer, command.NewTopicManager(repo, cluster, mysql.NewSubscriptionRepository(db, outbox), mysql.NewReconciliationLog(db), time.Second))
	events := httpapi.NewBroadcaster()
	feed, err := kafka.NewSubscriber(kc, kafka.FromOldest, wlog)
	if err != nil {
		t.Fatal(err)
	}
	handlers.AddEventFeed(router, feed, signer, events)
	signed := kafka.NewSigningPublisher(pub, signer)
	done, forwarded := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(forwarded)
		outbox.Forward(ctx, db, mysql.ForwarderConfig{PollInterval: 10 * time.Millisecond, BatchSize: 100}, signed)
	}()
	go func() {
		defer close(done)
		if err := router.Run(ctx); err != nil {
			t.Error(err)
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		<-forwarded
		pub.Close()
	})
	<-router.Running()
	policy := command.Policy{DefaultPartitions: 2, DefaultReplicationFactor: 1}
	return stack{kafka: kc, pub: pub, signed: signed, signer: signer, events: events, read: mysql.NewReadModel(db),
		issue: command.NewIssueHandler(repo, mysql.NewCommandQueue(db, outbox), cluster, policy)}
}

var admin = auth.Principal{Name: "root", Role: auth.Admin}

func (s stack) run(t *testing.T, is command.Issue) {
	t.Helper()
	if _, err := s.issue.Handle(context.Background(), admin, is); err != nil {
		t.Fatal(err)
	}
}

func (s stack) awaitStatus(t *testing.T, name string, want topic.Status) query.Topic {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got, err := s.read.Topic(context.Background(), name)
		if err == nil && (got.Status == want || got.Error != "") {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not become %s: %+v, %v", name, want, got, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// poisoned reads kds.poison until a message satisfies match.
func (s stack) poisoned(t *testing.T, match func(*message.Message) bool) *message.Message {
	t.Helper()
	sub, err := kafka.NewSubscriber(s.kafka, kafka.FromOldest, watermill.NopLogger{})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	msgs, err := sub.Subscribe(ctx, topic.PoisonTopic)
	if err != nil {
		t.Fatal(err)
	}
	for m := range msgs {
		m.Ack()
		if match(m) {
			return m
		}
	}
	t.Fatal("no such message on kds.poison")
	return nil
}

func TestApprovalFlowsThroughEveryHandler(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	events, stop := s.events.Listen(16)
	defer stop()
	s.run(t, command.Issue{Type: command.RequestTopicType, Topic: "orders", Partitions: 3})
	s.awaitStatus(t, "orders", topic.Pending)
	s.run(t, command.Issue{Type: command.ApproveTopicType, Topic: "orders"})
	s.awaitStatus(t, "orders", topic.Active)
	if p, r, ok := kafkatest.Describe(t, s.kafka, "orders"); !ok || p != 3 || r != 1 {
		t.Fatalf("orders in Kafka: %d partitions, replication factor %d (present %v), want 3 and 1 as approved", p, r, ok)
	}
	var seen []topic.EventType
	for len(seen) < 3 {
		select {
		case ev := <-events:
			seen = append(seen, ev.Type)
		case <-time.After(10 * time.Second):
			t.Fatalf("the event feed passed on only %v", seen)
		}
	}
	if seen[0] != topic.TopicRequested || seen[1] != topic.TopicApproved || seen[2] != topic.TopicActivated {
		t.Fatalf("events in order %v", seen)
	}
}

func TestMalformedCommandGoesToPoisonAndTheRestFlows(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	bad := message.NewMessage(uuid.NewString(), []byte(`{"type": "ApproveTopic", "command_id": 42`))
	bad.Metadata.Set(mysql.KeyMetadata, "whatever")
	if err := s.signed.Publish(topic.CommandsTopic, bad); err != nil {
		t.Fatal(err)
	}
	s.run(t, command.Issue{Type: command.RequestTopicType, Topic: "after_the_bad_one"})
	s.awaitStatus(t, "after_the_bad_one", topic.Pending)
	m := s.poisoned(t, func(m *message.Message) bool { return m.UUID == bad.UUID })
	if reason := m.Metadata.Get("reason_poisoned"); !strings.Contains(reason, "malformed message") {
		t.Fatalf("poison reason %q", reason)
	}
}

func TestRedeliveredCommandIsAppliedOnce(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	s.run(t, command.Issue{Type: command.RequestTopicType, Topic: "twice"})
	s.awaitStatus(t, "twice", topic.Pending)
	approve := command.Command{Type: command.ApproveTopicType, ID: uuid.NewString(), Topic: "twice", Actor: "root", IssuedAt: time.Now().UTC()}
	payload, _ := json.Marshal(approve)
	for range 3 {
		m := message.NewMessage(uuid.NewString(), payload)
		m.Metadata.Set(mysql.KeyMetadata, "twice")
		if err := s.signed.Publish(topic.CommandsTopic, m); err != nil {
			t.Fatal(err)
		}
	}
	s.awaitStatus(t, "twice", topic.Active)
	history, err := s.read.History(context.Background(), "twice")
	if err != nil {
		t.Fatal(err)
	}
	approvals := 0
	for _, tr := range history {
		if tr.Action == topic.Approve {
			approvals++
		}
	}
	if approvals != 1 {
		t.Fatalf("%d approvals recorded for one command delivered three times", approvals)
	}
}

func TestKafkaRefusalLeavesTheTopicApprovedWithTheReason(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	// Someone created the topic in Kafka behind kds's back, with another spec.
	kafkatest.CreateTopics(t, s.kafka, 5, "taken")
	// The request's broker check would refuse it, so log the request directly.
	req := command.Command{Type: command.RequestTopicType, ID: uuid.NewString(), Topic: "taken", Actor: "root", IssuedAt: time.Now().UTC(), Partitions: 2, ReplicationFactor: 1}
	payload, _ := json.Marshal(req)
	m := message.NewMessage(uuid.NewString(), payload)
	m.Metadata.Set(mysql.KeyMetadata, "taken")
	if err := s.signed.Publish(topic.CommandsTopic, m); err != nil {
		t.Fatal(err)
	}
	s.awaitStatus(t, "taken", topic.Pending)
	s.run(t, command.Issue{Type: command.ApproveTopicType, Topic: "taken"})
	got := s.awaitStatus(t, "taken", topic.Active)
	if got.Status != topic.Approved || !strings.Contains(got.Error, "already exists in Kafka with 5 partitions") {
		t.Fatalf("topic %s with error %q, want approved with Kafka's refusal", got.Status, got.Error)
	}
	poisoned := s.poisoned(t, func(m *message.Message) bool {
		return strings.Contains(string(m.Payload), `"TopicApproved"`) && strings.Contains(string(m.Payload), `"taken"`)
	})

	// The admin removes the stray topic and replays the approval.
	queue := command.NewPoison(kafka.NewPoisonQueue(s.kafka, s.pub, s.signer))
	listed, err := queue.List(context.Background(), admin)
	if err != nil {
		t.Fatal(err)
	}
	if len(listed) != 1 || listed[0].ID != poisoned.UUID || listed[0].Topic != topic.EventsTopic || listed[0].Handler != handlers.TopicManagerHandler ||
		!strings.Contains(listed[0].Reason, "already exists in Kafka") || !listed[0].Signed {
		t.Fatalf("poison list %+v", listed)
	}
	if _, err := queue.Requeue(context.Background(), auth.Principal{Name: "vic", Role: auth.Viewer}, poisoned.UUID); err == nil {
		t.Fatal("a viewer requeued a poison message")
	}
	kafkatest.DeleteTopics(t, s.kafka, "taken")
	if _, err := queue.Requeue(context.Background(), admin, poisoned.UUID); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		got, err := s.read.Topic(context.Background(), "taken")
		if err == nil && got.Status == topic.Active && got.Error == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after requeueing: %+v, %v; want active without an error", got, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestMessagesKdsDidNotSignAreNeverActedOn publishes on kds.commands and
// kds.events as anyone who can write to Kafka can: an approval without a
// signature, one kds signed and someone changed, one signed with another
// key, and a deactivation event. None is applied or passed to the event
// feed; each is on kds.poison with the reason, and requeueing is refused.
func TestMessagesKdsDidNotSignAreNeverActedOn(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	events, stop := s.events.Listen(64)
	defer stop()
	s.run(t, command.Issue{Type: command.RequestTopicType, Topic: "victim"})
	s.awaitStatus(t, "victim", topic.Pending)
	newMessage := func(v any) *message.Message {
		t.Helper()
		payload, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		m := message.NewMessage(uuid.NewString(), payload)
		m.Metadata.Set(mysql.KeyMetadata, "victim")
		return m
	}
	approve := func() command.Command {
		return command.Command{Type: command.ApproveTopicType, ID: uuid.NewString(), Topic: "victim", Actor: "root", IssuedAt: time.Now().UTC()}
	}
	unsigned := newMessage(approve())
	altered := newMessage(command.Command{Type: command.RejectTopicType, ID: uuid.NewString(), Topic: "victim", Actor: "mallory", IssuedAt: time.Now().UTC()})
	s.signer.Sign(topic.CommandsTopic, altered)
	altered.Payload, _ = json.Marshal(approve())
	otherKey := newMessage(approve())
	testSigner(t).Sign(topic.CommandsTopic, otherKey)
	deactivated := newMessage(topic.Event{Type: topic.TopicDeactivated, Topic: "victim", Status: topic.Inactive, Generation: 1, Actor: "root", At: time.Now()})
	for _, m := range []*message.Message{unsigned, altered, otherKey} {
		if err := s.pub.Publish(topic.CommandsTopic, m); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.pub.Publish(topic.EventsTopic, deactivated); err != nil {
		t.Fatal(err)
	}

	queue := command.NewPoison(kafka.NewPoisonQueue(s.kafka, s.pub, s.signer))
	for _, want := range []struct {
		msg     *message.Message
		handler string
		reason  string
	}{
		{unsigned, handlers.LifecycleHandler, "not written by kds: no kds-signature header"},
		{altered, handlers.LifecycleHandler, "not written by kds: the signature does not match"},
		{otherKey, handlers.LifecycleHandler, "not written by kds: the signature does not match"},
		{deactivated, handlers.TopicManagerHandler, "not written by kds: no kds-signature header"},
	} {
		m := s.poisoned(t, func(m *message.Message) bool { return m.UUID == want.msg.UUID })
		if reason, handler := m.Metadata.Get("reason_poisoned"), m.Metadata.Get("handler_poisoned"); !strings.Contains(reason, want.reason) || handler != want.handler {
			t.Errorf("poisoned by %s with the reason %q, want %s and %q", handler, reason, want.handler, want.reason)
		}
		_, err := queue.Requeue(context.Background(), admin, want.msg.UUID)
		var refused *command.UnverifiedPoisonError
		if !errors.As(err, &refused) {
			t.Errorf("requeue of a message kds did not write: %v", err)
		}
	}
	listed, err := queue.List(context.Background(), admin)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range listed {
		if m.Signed {
			t.Errorf("poison message %+v listed as signed by kds", m)
		}
	}

	// Nothing was applied; a real approval behind them is, and the event
	// feed passes it on but never passed on the forged deactivation.
	if got, err := s.read.Topic(context.Background(), "victim"); err != nil || got.Status != topic.Pending {
		t.Fatalf("victim after the forged messages: %+v, %v", got, err)
	}
	s.run(t, command.Issue{Type: command.ApproveTopicType, Topic: "victim"})
	s.awaitStatus(t, "victim", topic.Active)
	for {
		select {
		case ev := <-events:
			if ev.Type == topic.TopicDeactivated {
				t.Fatalf("the event feed passed on %+v", ev)
			}
			if ev.Type != topic.TopicApproved {
				continue
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the event feed did not pass on the approval")
		}
		break
	}
}
