package command_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/topic"
)

func TestTheWholeLifecycle(t *testing.T) {
	t.Parallel()
	f := newFixture()
	ctx := context.Background()
	manager := f.manager()

	f.run(t, producer, command.Issue{Type: command.RequestTopicType, Topic: "news", Partitions: 2})
	f.run(t, admin, command.Issue{Type: command.ApproveTopicType, Topic: "news"})
	if err := manager.Activate(ctx, "news", 1); err != nil {
		t.Fatal(err)
	}
	if !f.cluster.Exists("news") {
		t.Fatal("activation did not create the topic in Kafka")
	}
	f.run(t, admin, command.Issue{Type: command.DeactivateTopicType, Topic: "news"})
	if err := manager.Delete(ctx, "news", 1); err != nil {
		t.Fatal(err)
	}
	if f.cluster.Exists("news") {
		t.Fatal("deletion left the topic in Kafka")
	}
	var types []topic.EventType
	for _, e := range f.topics.Events() {
		types = append(types, e.Type)
	}
	want := []topic.EventType{topic.TopicRequested, topic.TopicApproved, topic.TopicActivated, topic.TopicDeactivated, topic.TopicDeleted}
	if len(types) != len(want) {
		t.Fatalf("events %v, want %v", types, want)
	}
	for i := range want {
		if types[i] != want[i] {
			t.Fatalf("events %v, want %v", types, want)
		}
	}
}

func TestApplyRecordsARefusal(t *testing.T) {
	t.Parallel()
	f := newFixture()
	f.run(t, producer, command.Issue{Type: command.RequestTopicType, Topic: "news"})
	cmds, err := f.issue.Handle(context.Background(), admin, command.Issue{Type: command.ApproveTopicType, Topic: "news"})
	if err != nil {
		t.Fatal(err)
	}
	reject, err := f.issue.Handle(context.Background(), admin, command.Issue{Type: command.RejectTopicType, Topic: "news", Reason: "dup"})
	if err != nil {
		t.Fatal(err)
	}
	// Both passed the check; whichever is applied second loses.
	if err := f.apply.Handle(context.Background(), cmds[0]); err != nil {
		t.Fatal(err)
	}
	err = f.apply.Handle(context.Background(), reject[0])
	var illegal *topic.IllegalTransitionError
	if !errors.As(err, &illegal) {
		t.Fatalf("got %v, want the refusal", err)
	}
	if o, _ := f.topics.Outcome(reject[0].ID); o.Status != command.Rejected || o.Error == "" {
		t.Fatalf("outcome %+v, want rejected with the reason", o)
	}
	if err := f.apply.Handle(context.Background(), reject[0]); err != nil {
		t.Fatalf("redelivery of a rejected command: %v, want nil", err)
	}
}

func TestTopicManagerSkipsWhatIsDoneOrStale(t *testing.T) {
	t.Parallel()
	f := newFixture()
	ctx := context.Background()
	manager := f.manager()
	f.run(t, producer, command.Issue{Type: command.RequestTopicType, Topic: "news"})
	f.run(t, admin, command.Issue{Type: command.ApproveTopicType, Topic: "news"})
	for range 3 { // redelivered
		if err := manager.Activate(ctx, "news", 1); err != nil {
			t.Fatal(err)
		}
	}
	if err := manager.Activate(ctx, "news", 7); err != nil {
		t.Fatal(err)
	}
	if err := manager.Activate(ctx, "unknown", 1); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range f.topics.Events() {
		if e.Type == topic.TopicActivated {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d activations recorded, want 1", n)
	}
}

func TestBrokerRefusalIsRecordedAsAFailure(t *testing.T) {
	t.Parallel()
	f := newFixture()
	ctx := context.Background()
	f.run(t, producer, command.Issue{Type: command.RequestTopicType, Topic: "news"})
	f.run(t, admin, command.Issue{Type: command.ApproveTopicType, Topic: "news"})
	f.cluster.Brokers = 0 // the cluster shrank after the request was checked
	err := f.manager().Activate(ctx, "news", 1)
	var failed *command.FailedError
	if !errors.As(err, &failed) || !command.IsPermanent(err) {
		t.Fatalf("got %v, want a permanent FailedError", err)
	}
	tp, _ := f.topics.Get(ctx, topic.MustParseName("news"))
	if tp.Status() != topic.Approved {
		t.Fatalf("topic is %s, want still approved", tp.Status())
	}
}

func TestKafkaDownIsRetriable(t *testing.T) {
	t.Parallel()
	f := newFixture()
	ctx := context.Background()
	f.run(t, producer, command.Issue{Type: command.RequestTopicType, Topic: "news"})
	f.run(t, admin, command.Issue{Type: command.ApproveTopicType, Topic: "news"})
	f.cluster.Down = true
	manager := f.manager()
	err := manager.Activate(ctx, "news", 1)
	if err == nil || command.IsPermanent(err) {
		t.Fatalf("got %v, want a retriable error", err)
	}
	f.cluster.Down = false
	if err := manager.Activate(ctx, "news", 1); err != nil {
		t.Fatalf("retry after the broker came back: %v", err)
	}
}

func TestMalformedCommandIsPermanent(t *testing.T) {
	t.Parallel()
	err := newFixture().apply.Handle(context.Background(), command.Command{Type: "Explode", ID: "x", Topic: "news"})
	if !command.IsPermanent(err) {
		t.Fatalf("got %v, want a permanent error", err)
	}
}

func TestCommandsFromOutsideAreCheckedBeforeTheyAreLogged(t *testing.T) {
	t.Parallel()
	f := newFixture()
	good := command.Command{Type: command.RequestTopicType, ID: "0190f5d2-7a3c-7c4b-8a1e-2f0a9b1c3d4e", Topic: "news", Actor: "a", IssuedAt: time.Now(), Partitions: 1, ReplicationFactor: 1}
	if err := f.apply.Handle(context.Background(), good); err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func(*command.Command){
		"no id":          func(c *command.Command) { c.ID = "" },
		"unicode topic":  func(c *command.Command) { c.Topic = "nеws" },
		"long topic":     func(c *command.Command) { c.Topic = strings.Repeat("n", 300) },
		"no actor":       func(c *command.Command) { c.Actor = "" },
		"huge reason":    func(c *command.Command) { c.Reason = strings.Repeat("r", 1001) },
		"no issued time": func(c *command.Command) { c.IssuedAt = time.Time{} },
	} {
		c := good
		mutate(&c)
		var malformed *command.MalformedError
		if err := f.apply.Handle(context.Background(), c); !errors.As(err, &malformed) {
			t.Errorf("%s: got %v, want MalformedError", name, err)
		}
	}
}
