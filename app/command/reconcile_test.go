package command_test

import (
	"cmp"
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/topic"
)

func findings(r command.Reconciliation) map[string]command.Finding {
	out := map[string]command.Finding{}
	for _, f := range r.Findings {
		out[f.Topic+"/"+string(f.Kind)] = f
	}
	return out
}

func TestReconcileRepairsDriftAndConverges(t *testing.T) {
	t.Parallel()
	f := newFixture()
	ctx := context.Background()
	m := f.manager()
	// approved, but the event that would have created it was lost
	f.run(t, producer, command.Issue{Type: command.RequestTopicType, Topic: "approved"})
	f.run(t, admin, command.Issue{Type: command.ApproveTopicType, Topic: "approved"})
	// active, then deleted from Kafka behind kds's back
	f.activeTopic(t, "vanished")
	f.cluster.Put("vanished", nil)
	// active with fewer partitions and another config than approved
	f.run(t, producer, command.Issue{Type: command.RequestTopicType, Topic: "shrunk", Partitions: 4, Configs: map[string]string{"retention.ms": "60000"}})
	f.run(t, admin, command.Issue{Type: command.ApproveTopicType, Topic: "shrunk"})
	if err := m.Activate(ctx, "shrunk", 1); err != nil {
		t.Fatal(err)
	}
	f.cluster.Put("shrunk", &topic.Spec{Partitions: 2, ReplicationFactor: 1, Configs: map[string]string{"retention.ms": "1"}})
	// active with more partitions than approved: Kafka cannot shrink it
	f.activeTopic(t, "grown")
	f.cluster.Put("grown", &topic.Spec{Partitions: 9, ReplicationFactor: 1})
	// inactive, and the deletion never happened
	f.activeTopic(t, "lingering")
	f.run(t, admin, command.Issue{Type: command.DeactivateTopicType, Topic: "lingering"})
	// rejected, yet someone created it in Kafka
	f.run(t, producer, command.Issue{Type: command.RequestTopicType, Topic: "refused"})
	f.run(t, admin, command.Issue{Type: command.RejectTopicType, Topic: "refused"})
	f.cluster.Put("refused", &topic.Spec{Partitions: 1, ReplicationFactor: 1})
	// unknown to kds, and internal topics that are never touched
	f.cluster.Put("legacy", &topic.Spec{Partitions: 6, ReplicationFactor: 1})
	f.cluster.Put("kds.events", &topic.Spec{Partitions: 8, ReplicationFactor: 1})
	f.cluster.Put("__consumer_offsets", &topic.Spec{Partitions: 50, ReplicationFactor: 1})

	r, err := m.Reconcile(ctx, command.ReconcileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := findings(r)
	want := map[string]bool{ // finding → repaired
		"approved/approved-not-active":   true,
		"vanished/active-missing":        true,
		"shrunk/partitions":              true,
		"shrunk/configs":                 true,
		"grown/partitions":               false,
		"lingering/inactive-not-deleted": true,
		"refused/stray":                  true,
		"legacy/orphan":                  false,
	}
	for key, repaired := range want {
		fd, ok := got[key]
		if !ok {
			t.Errorf("no finding %s; found %+v", key, r.Findings)
			continue
		}
		if fd.Repaired != repaired || fd.Error != "" {
			t.Errorf("%s: repaired %v (error %q), want repaired %v", key, fd.Repaired, fd.Error, repaired)
		}
	}
	if len(r.Findings) != len(want) {
		t.Errorf("%d findings, want %d: %+v", len(r.Findings), len(want), r.Findings)
	}
	if !slices.IsSortedFunc(r.Findings, func(a, b command.Finding) int {
		return cmp.Or(strings.Compare(a.Topic, b.Topic), strings.Compare(string(a.Kind), string(b.Kind)))
	}) {
		t.Errorf("findings not in order of topic and kind: %+v", r.Findings)
	}
	if r.Checked != 9 { // 6 in kds, 7 in Kafka, 4 of them in both
		t.Errorf("%d topics checked, want 9", r.Checked)
	}
	for _, name := range []string{"approved", "vanished"} {
		if !f.cluster.Exists(name) {
			t.Errorf("%s is not in Kafka after reconciling", name)
		}
	}
	for _, name := range []string{"lingering", "refused"} {
		if f.cluster.Exists(name) {
			t.Errorf("%s is still in Kafka after reconciling", name)
		}
	}
	if s, _ := f.cluster.Spec("shrunk"); s.Partitions != 4 || s.Configs["retention.ms"] != "60000" {
		t.Errorf("shrunk in Kafka: %+v", s)
	}
	if s, _ := f.cluster.Spec("kds.events"); s.Partitions != 8 {
		t.Errorf("an internal topic was touched: %+v", s)
	}
	statuses := map[string]topic.Status{"approved": topic.Active, "lingering": topic.Deleted, "vanished": topic.Active}
	for name, want := range statuses {
		tp, _ := f.topics.Get(ctx, topic.MustParseName(name))
		if tp.Status() != want {
			t.Errorf("%s is %s, want %s", name, tp.Status(), want)
		}
	}
	repairs := 0
	for _, e := range f.topics.Events() {
		if e.Type == topic.TopicDriftRepaired {
			repairs++
			if e.Reason == "" {
				t.Errorf("drift event without a reason: %+v", e)
			}
		}
	}
	if repairs != 3 { // vanished recreated, shrunk's partitions and configs
		t.Errorf("%d TopicDriftRepaired events, want 3", repairs)
	}

	again, err := m.Reconcile(ctx, command.ReconcileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	left := findings(again)
	if len(left) != 2 || !strings.Contains(left["grown/partitions"].Detail, "cannot remove partitions") || left["legacy/orphan"].Kind == "" {
		t.Fatalf("the second pass found %+v; want only what cannot be repaired", again.Findings)
	}
	if recorded := f.log.All(); !reflect.DeepEqual(recorded, []command.Reconciliation{r, again}) {
		t.Fatalf("recorded %+v, want both reconciliations as returned", recorded)
	}
}

// TestReconcileSendsEachKindOfRepairToKafkaOnce: however many topics need
// the same repair, Kafka is asked once: one creation for the approved
// topics, one for the active ones missing, one deletion for the inactive
// ones and one for the strays.
func TestReconcileSendsEachKindOfRepairToKafkaOnce(t *testing.T) {
	t.Parallel()
	f := newFixture()
	ctx := context.Background()
	const n = 20
	names := func(kind string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("%s.%02d", kind, i)
		}
		return out
	}
	for _, name := range names("approved") {
		f.run(t, producer, command.Issue{Type: command.RequestTopicType, Topic: name})
		f.run(t, admin, command.Issue{Type: command.ApproveTopicType, Topic: name})
	}
	for _, name := range names("vanished") {
		f.activeTopic(t, name)
		f.cluster.Put(name, nil)
	}
	for _, name := range names("lingering") {
		f.activeTopic(t, name)
		f.run(t, admin, command.Issue{Type: command.DeactivateTopicType, Topic: name})
	}
	for _, name := range names("refused") {
		f.run(t, producer, command.Issue{Type: command.RequestTopicType, Topic: name})
		f.run(t, admin, command.Issue{Type: command.RejectTopicType, Topic: name})
		f.cluster.Put(name, &topic.Spec{Partitions: 1, ReplicationFactor: 1})
	}
	creates, deletes := len(f.cluster.Batches("create")), len(f.cluster.Batches("delete"))

	r, err := f.manager().Reconcile(ctx, command.ReconcileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, fd := range r.Findings {
		if !fd.Repaired {
			t.Errorf("not repaired: %+v", fd)
		}
	}
	if len(r.Findings) != 4*n {
		t.Errorf("%d findings, want %d", len(r.Findings), 4*n)
	}
	sorted := func(batches [][]string) [][]string {
		for _, b := range batches {
			slices.Sort(b)
		}
		slices.SortFunc(batches, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
		return batches
	}
	if got, want := sorted(f.cluster.Batches("create")[creates:]), [][]string{names("approved"), names("vanished")}; !reflect.DeepEqual(got, want) {
		t.Errorf("creations sent to Kafka %v, want %v", got, want)
	}
	if got, want := sorted(f.cluster.Batches("delete")[deletes:]), [][]string{names("lingering"), names("refused")}; !reflect.DeepEqual(got, want) {
		t.Errorf("deletions sent to Kafka %v, want %v", got, want)
	}
}

func TestReconcileImportsOrphansWhenAsked(t *testing.T) {
	t.Parallel()
	f := newFixture()
	ctx := context.Background()
	f.cluster.Put("legacy", &topic.Spec{Partitions: 6, ReplicationFactor: 1, Configs: map[string]string{"cleanup.policy": "compact"}})
	r, err := f.manager().Reconcile(ctx, command.ReconcileOptions{ImportOrphans: true})
	if err != nil {
		t.Fatal(err)
	}
	if fd := findings(r)["legacy/orphan"]; !fd.Repaired {
		t.Fatalf("orphan finding %+v, want imported", fd)
	}
	tp, err := f.topics.Get(ctx, topic.MustParseName("legacy"))
	if err != nil || tp.Status() != topic.Active || tp.Spec().Partitions != 6 || tp.Spec().Configs["cleanup.policy"] != "compact" {
		t.Fatalf("imported topic: %v, %v", tp, err)
	}
}

func TestReconcileLeavesKafkaAloneWhenATopicMovesOnBeforeItsRepair(t *testing.T) {
	t.Parallel()
	f := newFixture()
	ctx := context.Background()
	m := f.manager()
	// active but missing from Kafka when MySQL is read...
	f.activeTopic(t, "vanished")
	f.cluster.Put("vanished", nil)
	// ...active with fewer partitions in Kafka than approved...
	f.activeTopic(t, "shrunk")
	f.cluster.Put("shrunk", &topic.Spec{Partitions: 1, ReplicationFactor: 1})
	// ...and rejected yet in Kafka
	f.run(t, producer, command.Issue{Type: command.RequestTopicType, Topic: "reused"})
	f.run(t, admin, command.Issue{Type: command.RejectTopicType, Topic: "reused"})
	f.cluster.Put("reused", &topic.Spec{Partitions: 3, ReplicationFactor: 1})
	// Before the repairs, vanished is deactivated and deleted, shrunk is
	// deactivated, and reused is cleaned up, requested again and made
	// active.
	f.cluster.BeforeTopics = func() {
		f.cluster.BeforeTopics = nil
		f.run(t, admin, command.Issue{Type: command.DeactivateTopicType, Topic: "shrunk"})
		f.run(t, admin, command.Issue{Type: command.DeactivateTopicType, Topic: "vanished"})
		if err := m.Delete(ctx, "vanished", 1); err != nil {
			t.Error(err)
		}
		f.cluster.Put("reused", nil)
		f.run(t, producer, command.Issue{Type: command.RequestTopicType, Topic: "reused"})
		f.run(t, admin, command.Issue{Type: command.ApproveTopicType, Topic: "reused"})
		if err := m.Activate(ctx, "reused", 2); err != nil {
			t.Error(err)
		}
	}

	r, err := m.Reconcile(ctx, command.ReconcileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if f.cluster.Exists("vanished") {
		t.Error("a deleted topic was created again in Kafka")
	}
	if !f.cluster.Exists("reused") {
		t.Error("the active generation of reused was deleted from Kafka")
	}
	if s, _ := f.cluster.Spec("shrunk"); s.Partitions != 1 {
		t.Errorf("partitions were added to a deactivated topic: %+v", s)
	}
	got := findings(r)
	for _, key := range []string{"vanished/active-missing", "shrunk/partitions", "reused/stray"} {
		if fd, ok := got[key]; !ok || fd.Repaired || fd.Error != "" || !strings.Contains(fd.Detail, "left alone, the topic moved on") {
			t.Errorf("%s: %+v, want it noted and left alone", key, fd)
		}
	}
}
