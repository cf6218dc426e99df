package command_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kds-io/kds/app/auth"
	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/command/commandtest"
	"github.com/kds-io/kds/app/topic"
)

var (
	admin    = auth.Principal{Name: "root", Role: auth.Admin}
	producer = auth.Principal{Name: "alice", Role: auth.Producer}
	viewer   = auth.Principal{Name: "vic", Role: auth.Viewer}
	policy   = command.Policy{DefaultPartitions: 3, DefaultReplicationFactor: 1, Limits: topic.Limits{MaxPartitions: 100}}
)

type fixture struct {
	topics  *commandtest.Topics
	queue   *commandtest.Queue
	cluster *commandtest.Cluster
	subs    *commandtest.Subscriptions
	log     *commandtest.Reconciliations
	issue   command.IssueHandler
	apply   command.ApplyHandler
}

func newFixture() fixture {
	f := fixture{topics: commandtest.NewTopics(), queue: &commandtest.Queue{}, cluster: commandtest.NewCluster(), subs: commandtest.NewSubscriptions(), log: &commandtest.Reconciliations{}}
	f.issue = command.NewIssueHandler(f.topics, f.queue, f.cluster, policy)
	f.apply = command.NewApplyHandler(f.topics, policy.Limits)
	return f
}

// manager is the topic manager, waiting at most 300ms for consumers to detach.
func (f fixture) manager() command.TopicManager {
	return command.NewTopicManager(f.topics, f.cluster, f.subs, f.log, 300*time.Millisecond)
}

// run issues and applies a command as the API and the lifecycle handler would.
func (f fixture) run(t *testing.T, by auth.Principal, is command.Issue) command.Command {
	t.Helper()
	cmds, err := f.issue.Handle(context.Background(), by, is)
	if err != nil {
		t.Fatalf("issue %s %s: %v", is.Type, is.Topic, err)
	}
	if err := f.apply.Handle(context.Background(), cmds[0]); err != nil {
		t.Fatalf("apply %s %s: %v", is.Type, is.Topic, err)
	}
	return cmds[0]
}

func TestRequestFillsDefaultsAndRecordsTheCaller(t *testing.T) {
	t.Parallel()
	f := newFixture()
	cmds, err := f.issue.Handle(context.Background(), producer, command.Issue{Type: command.RequestTopicType, Topic: "news", Reason: "for the newsroom"})
	if err != nil {
		t.Fatal(err)
	}
	c := cmds[0]
	if c.Partitions != 3 || c.ReplicationFactor != 1 || c.Actor != "alice" || c.ID == "" || c.IssuedAt.IsZero() || c.Reason != "for the newsroom" {
		t.Fatalf("queued %+v", c)
	}
	if q := f.queue.Queued(); len(q) != 1 || q[0].ID != c.ID {
		t.Fatalf("queue holds %+v", q)
	}
}

func TestIssueRefusesWithoutQueuing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		by    auth.Principal
		issue command.Issue
		want  string
	}{
		{"viewer requests", viewer, command.Issue{Type: command.RequestTopicType, Topic: "news"}, `viewer "vic" may not request topics`},
		{"producer approves", producer, command.Issue{Type: command.ApproveTopicType, Topic: "news"}, "admins only"},
		{"bad name", producer, command.Issue{Type: command.RequestTopicType, Topic: "news;drop"}, `invalid topic name "news;drop"`},
		{"too many partitions", producer, command.Issue{Type: command.RequestTopicType, Topic: "news", Partitions: 101}, "partitions must be at most 100"},
		{"more replicas than brokers", producer, command.Issue{Type: command.RequestTopicType, Topic: "news", ReplicationFactor: 3}, "replication factor is larger than the number of brokers"},
		{"unknown topic", admin, command.Issue{Type: command.ApproveTopicType, Topic: "nothing"}, `topic "nothing" not found`},
		{"internal type", admin, command.Issue{Type: command.ActivateTopicType, Topic: "news"}, `unknown command type "ActivateTopic"`},
		{"too large once encoded", producer, command.Issue{Type: command.RequestTopicType, Topic: "news", Configs: controlConfigs(20, 1000)},
			"bytes as JSON, more than the 65536 a command may have"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture()
			_, err := f.issue.Handle(context.Background(), tt.by, tt.issue)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error saying %q", err, tt.want)
			}
			if len(f.queue.Queued()) != 0 {
				t.Fatal("a refused command was queued")
			}
		})
	}
}

func TestIssueChecksTheCurrentState(t *testing.T) {
	t.Parallel()
	f := newFixture()
	f.run(t, producer, command.Issue{Type: command.RequestTopicType, Topic: "news"})
	f.run(t, admin, command.Issue{Type: command.ApproveTopicType, Topic: "news"})
	_, err := f.issue.Handle(context.Background(), admin, command.Issue{Type: command.RejectTopicType, Topic: "news"})
	var illegal *topic.IllegalTransitionError
	if !errors.As(err, &illegal) || !strings.Contains(err.Error(), "already approved") {
		t.Fatalf("got %v, want already approved", err)
	}
	_, err = f.issue.Handle(context.Background(), producer, command.Issue{Type: command.RequestTopicType, Topic: "news"})
	var exists *topic.AlreadyExistsError
	if !errors.As(err, &exists) {
		t.Fatalf("got %v, want AlreadyExistsError", err)
	}
}

func TestIssueRefusesACollisionAtOnce(t *testing.T) {
	t.Parallel()
	f := newFixture()
	f.run(t, producer, command.Issue{Type: command.RequestTopicType, Topic: "metrics.cpu"})
	_, err := f.issue.Handle(context.Background(), producer, command.Issue{Type: command.RequestTopicType, Topic: "metrics_cpu"})
	var collision *topic.CollisionError
	if !errors.As(err, &collision) || collision.Existing != "metrics.cpu" {
		t.Fatalf("got %v, want a CollisionError with metrics.cpu", err)
	}
	if _, err := f.issue.DryRun(context.Background(), producer, command.Issue{Type: command.RequestTopicType, Topic: "metrics_cpu"}); !errors.As(err, &collision) {
		t.Fatalf("dry run: got %v, want a CollisionError", err)
	}
	if n := len(f.queue.Queued()); n != 1 {
		t.Fatalf("%d commands queued, want only the first request", n)
	}
}

func TestABatchIsAllOrNothing(t *testing.T) {
	t.Parallel()
	f := newFixture()
	_, err := f.issue.Handle(context.Background(), producer,
		command.Issue{Type: command.RequestTopicType, Topic: "good"},
		command.Issue{Type: command.RequestTopicType, Topic: "bad name"},
		command.Issue{Type: command.RequestTopicType, Topic: "__bad"},
	)
	if err == nil || !strings.Contains(err.Error(), `"bad name"`) || !strings.Contains(err.Error(), `"__bad"`) {
		t.Fatalf("got %v, want both problems reported", err)
	}
	if len(f.queue.Queued()) != 0 {
		t.Fatal("part of a refused batch was queued")
	}
}

// TestABatchAsksTheBrokerOnce: the topics a batch requests are checked
// with the broker in one call, whatever their number; the broker's
// refusal of one of them refuses the batch and names that topic.
func TestABatchAsksTheBrokerOnce(t *testing.T) {
	t.Parallel()
	f := newFixture()
	f.run(t, producer, command.Issue{Type: command.RequestTopicType, Topic: "pending"})
	issues := []command.Issue{{Type: command.ApproveTopicType, Topic: "pending"}}
	for i := range 100 {
		issues = append(issues, command.Issue{Type: command.RequestTopicType, Topic: fmt.Sprintf("t%03d", i)})
	}
	before := len(f.cluster.Batches("validate"))
	if _, err := f.issue.Handle(context.Background(), admin, issues...); err != nil {
		t.Fatal(err)
	}
	batches := f.cluster.Batches("validate")[before:]
	if len(batches) != 1 || len(batches[0]) != 100 {
		t.Fatalf("the broker was asked %d times (%v), want once about the 100 requested topics", len(batches), batches)
	}

	refused := append(issues[1:3:3], command.Issue{Type: command.RequestTopicType, Topic: "replicated", ReplicationFactor: 2})
	_, err := f.issue.Handle(context.Background(), admin, refused...)
	if !strings.Contains(err.Error(), `"replicated"`) || strings.Contains(err.Error(), `"t000"`) {
		t.Fatalf("got %v, want the refusal of replicated only", err)
	}
}

func TestRequestWhileKafkaIsDown(t *testing.T) {
	t.Parallel()
	f := newFixture()
	f.cluster.Down = true
	is := command.Issue{Type: command.RequestTopicType, Topic: "news"}
	if _, err := f.issue.DryRun(context.Background(), producer, is); !errors.Is(err, commandtest.ErrClusterDown) {
		t.Fatalf("dry run with Kafka down: %v, want the broker error", err)
	}
	if _, err := f.issue.Handle(context.Background(), producer, is); err != nil {
		t.Fatalf("a real request must wait in the queue while Kafka is down: %v", err)
	}
}

func TestDryRunQueuesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture()
	c, err := f.issue.DryRun(context.Background(), producer, command.Issue{Type: command.RequestTopicType, Topic: "news", Partitions: 7})
	if err != nil || c.Partitions != 7 {
		t.Fatalf("dry run: %+v, %v", c, err)
	}
	if len(f.queue.Queued()) != 0 || f.cluster.Exists("news") {
		t.Fatal("a dry run changed something")
	}
}

// controlConfigs is n configs whose values are size control characters,
// which JSON writes as six bytes each.
func controlConfigs(n, size int) map[string]string {
	m := make(map[string]string, n)
	for i := range n {
		m[fmt.Sprintf("x.config.%d", i)] = strings.Repeat("\x01", size)
	}
	return m
}

// TestCommandsTravelWithoutHTMLEscapes: <, > and & stay one byte on their
// way to Kafka, so a request is as large as it looks; one larger than
// MaxCommandBytes once encoded is refused before anything else is checked.
func TestCommandsTravelWithoutHTMLEscapes(t *testing.T) {
	t.Parallel()
	f := newFixture()
	throttled := strings.Repeat("<", 1000)
	cmds, err := f.issue.Handle(context.Background(), producer, command.Issue{Type: command.RequestTopicType, Topic: "news", Reason: "a <b> & c",
		Configs: map[string]string{"leader.replication.throttled.replicas": throttled}})
	if err != nil {
		t.Fatal(err)
	}
	encoded, err := cmds[0].Encode()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(encoded), `"reason":"a <b> & c"`) || !strings.Contains(string(encoded), throttled) || len(encoded) > 1400 {
		t.Fatalf("encoded as %d bytes: %.200s", len(encoded), encoded)
	}
	configs := map[string]string{}
	for i := range 65 {
		configs[fmt.Sprintf("x.config.%d", i)] = strings.Repeat("<", 1000)
	}
	_, err = f.issue.Handle(context.Background(), producer, command.Issue{Type: command.RequestTopicType, Topic: "news", Configs: configs})
	var tooLarge *command.TooLargeError
	if !errors.As(err, &tooLarge) || !command.IsRefusal(err) || tooLarge.Bytes <= command.MaxCommandBytes {
		t.Fatalf("65 configs of 1000 '<': %v, want a refusal as too large", err)
	}
}

// TestReasonsAreText: a reason may not hold what a terminal acts on or
// does not show (a NUL, an escape sequence, a bidirectional override, a
// zero-width space) or bytes that are not UTF-8; newlines and tabs are
// fine. The error says which character, and where.
func TestReasonsAreText(t *testing.T) {
	t.Parallel()
	f := newFixture()
	ctx := context.Background()
	for _, c := range []struct{ reason, says string }{
		{"nul\x00byte", `reason: character '\x00' at position 4 is not allowed`},
		{"\x1b[32mAll checks passed", `reason: character '\x1b' at position 1`},
		{"bell\a", `character '\a' at position 5`},
		{"ok \u202egnp.exe", `character '\u202e' at position 4`},
		{"zero\u200bwidth", `character '\u200b' at position 5`},
		{"csi\u009b", `character '\u009b' at position 4`},
		{"carriage\rreturn", `character '\r' at position 9`},
		{"bad \xff utf-8", "reason must be UTF-8 text"},
	} {
		_, err := f.issue.Handle(ctx, producer, command.Issue{Type: command.RequestTopicType, Topic: "reasoned", Reason: c.reason})
		var invalid *command.InvalidReasonError
		if !errors.As(err, &invalid) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("reason %+q: %v, want an InvalidReasonError saying %q", c.reason, err, c.says)
		}
	}
	if _, err := f.issue.Handle(ctx, producer, command.Issue{Type: command.RequestTopicType, Topic: "reasoned", Reason: "for the newsroom:\n\tdaily, ünïcödé ✓"}); err != nil {
		t.Errorf("a reason of two lines: %v", err)
	}
}
