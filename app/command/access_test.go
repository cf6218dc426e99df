package command_test

import (
	"context"
	"errors"
	"testing"

	"github.com/kds-io/kds/app/access"
	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/topic"
)

// convergeWatch records, at each convergence, whether the topic it
// watches was in Kafka then, and fails when told to.
type convergeWatch struct {
	cluster interface{ Exists(string) bool }
	topic   string
	seen    []bool
	actors  []string
	fail    error
}

func (w *convergeWatch) Converge(_ context.Context, actor string) (access.Changes, error) {
	w.seen = append(w.seen, w.cluster.Exists(w.topic))
	w.actors = append(w.actors, actor)
	return access.Changes{}, w.fail
}

// TestAccessIsGrantedBeforeCreationAndRevokedBeforeDeletion: the topic
// manager converges Kafka's ACLs while an approved topic is not in Kafka
// yet, so its producers write the moment it is active, and while a
// deactivated one still is, so nobody reads or writes it once it is
// inactive; a convergence that fails leaves the topic where it was.
func TestAccessIsGrantedBeforeCreationAndRevokedBeforeDeletion(t *testing.T) {
	t.Parallel()
	f := newFixture()
	ctx := context.Background()
	w := &convergeWatch{cluster: f.cluster, topic: "orders"}
	m := f.manager().WithAccess(w)
	f.run(t, producer, command.Issue{Type: command.RequestTopicType, Topic: "orders"})
	f.run(t, admin, command.Issue{Type: command.ApproveTopicType, Topic: "orders"})

	w.fail = errors.New("broker away")
	if err := m.Activate(ctx, "orders", 1); err == nil || f.cluster.Exists("orders") {
		t.Fatalf("activation went on without its grants: %v", err)
	}
	w.fail = nil
	if err := m.Activate(ctx, "orders", 1); err != nil {
		t.Fatal(err)
	}
	f.run(t, admin, command.Issue{Type: command.DeactivateTopicType, Topic: "orders"})
	if err := m.Delete(ctx, "orders", 1); err != nil {
		t.Fatal(err)
	}
	if want := []bool{false, false, true}; len(w.seen) != 3 || w.seen[1] != want[1] || w.seen[2] != want[2] {
		t.Fatalf("in Kafka at each convergence: %v, want %v", w.seen, want)
	}
	if got, _ := f.topics.Get(ctx, topic.MustParseName("orders")); got.Status() != topic.Deleted || f.cluster.Exists("orders") {
		t.Fatalf("orders is %s", got.Status())
	}
	for _, a := range w.actors {
		if a != command.TopicManagerActor {
			t.Fatalf("converged as %q", a)
		}
	}
}
