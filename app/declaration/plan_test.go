package declaration_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/kds-io/kds/app/declaration"
	"github.com/kds-io/kds/app/query"
	"github.com/kds-io/kds/app/topic"
)

func declared(name string, partitions int32, configs map[string]string, owner string) declaration.Topic {
	return declaration.Topic{Name: name, Spec: topic.Spec{Partitions: partitions, ReplicationFactor: 1, Configs: configs},
		Details: topic.Details{Owner: owner}, Source: declaration.Source{File: "topics.yaml", Line: 3}}
}

func stored(name string, st topic.Status, partitions int32, configs map[string]string, owner string) query.Topic {
	return query.Topic{Name: name, Status: st, Partitions: partitions, ReplicationFactor: 1, Configs: configs, Owner: owner}
}

// TestAPlanSaysWhatEachTopicNeeds: new and ended topics are requested,
// active ones updated where they differ and kept where they do not,
// changes Kafka cannot make and topics on their way elsewhere refused
// with the reason, and, with prune only, the owner's undeclared topics
// ended.
func TestAPlanSaysWhatEachTopicNeeds(t *testing.T) {
	t.Parallel()
	retention := map[string]string{"retention.ms": "60000"}
	d := declaration.Declaration{Topics: []declaration.Topic{
		declared("new", 3, nil, "news"),
		declared("ended", 1, nil, "news"),
		declared("same", 2, retention, "news"),
		declared("grown", 4, map[string]string{"retention.ms": "120000"}, "news"),
		declared("shrunk", 1, nil, "news"),
		declared("waiting", 1, nil, "news"),
		declared("waiting-other", 2, nil, "news"),
		declared("leaving", 1, nil, "news"),
	}}
	current := []query.Topic{
		stored("ended", topic.Deleted, 1, nil, "news"),
		stored("same", topic.Active, 2, retention, "news"),
		stored("grown", topic.Active, 2, retention, "news"),
		stored("shrunk", topic.Active, 3, nil, "news"),
		stored("waiting", topic.Pending, 1, nil, "news"),
		stored("waiting-other", topic.Approved, 1, nil, "news"),
		stored("leaving", topic.Inactive, 1, nil, "news"),
		stored("undeclared", topic.Active, 1, nil, "news"),
		stored("undeclared-pending", topic.Pending, 1, nil, "news"),
		stored("someone-elses", topic.Active, 1, nil, "sports"),
		stored("nobodys", topic.Active, 1, nil, ""),
	}
	want := map[string]declaration.Action{
		"new": declaration.Request, "ended": declaration.Request, "same": declaration.Keep, "grown": declaration.Update,
		"shrunk": declaration.Refuse, "waiting": declaration.Keep, "waiting-other": declaration.Refuse, "leaving": declaration.Refuse,
	}
	check := func(p declaration.Plan, want map[string]declaration.Action) {
		t.Helper()
		got := map[string]declaration.Action{}
		for _, c := range p.Changes {
			got[c.Topic] = c.Action
		}
		if len(got) != len(want) {
			t.Errorf("planned %v, want %v", got, want)
		}
		for name, a := range want {
			if got[name] != a {
				t.Errorf("%s: %s, want %s", name, got[name], a)
			}
		}
	}
	plan := declaration.Compare(d, current, declaration.Options{})
	check(plan, want)
	for _, c := range plan.Changes {
		switch c.Topic {
		case "grown":
			if strings.Join(c.What, "; ") != "partitions 2 → 4; set retention.ms=120000 (was 60000)" {
				t.Errorf("grown: %q", c.What)
			}
		case "shrunk":
			if !strings.Contains(c.Reason, "Kafka cannot take partitions away") {
				t.Errorf("shrunk: %q", c.Reason)
			}
		}
		if c.Source != "topics.yaml:3" {
			t.Errorf("%s declared at %q", c.Topic, c.Source)
		}
	}
	if plan.Pending() != 3 || len(plan.Refused()) != 3 {
		t.Errorf("%d pending and %d refused changes, want 3 and 3", plan.Pending(), len(plan.Refused()))
	}

	want["undeclared"], want["undeclared-pending"] = declaration.Deactivate, declaration.Reject
	check(declaration.Compare(d, current, declaration.Options{Prune: true}), want)
}

// TestAPlanOfWhatIsThereChangesNothing: a declaration of the topics as they
// are plans nothing, so that applying it twice changes nothing.
func TestAPlanOfWhatIsThereChangesNothing(t *testing.T) {
	t.Parallel()
	current := []query.Topic{stored("a", topic.Active, 3, map[string]string{"cleanup.policy": "compact"}, "team"), stored("b", topic.Pending, 1, nil, "team")}
	d := declaration.Declaration{Topics: []declaration.Topic{declared("a", 3, map[string]string{"cleanup.policy": "compact"}, "team"), declared("b", 1, nil, "team")}}
	if p := declaration.Compare(d, current, declaration.Options{Prune: true}); p.Pending() != 0 || len(p.Refused()) != 0 {
		t.Fatalf("plan %+v", p)
	}
}

// TestDeclarationProblemsSayWhere: every problem of a declaration is
// reported at once, with the file and line of the topic.
func TestDeclarationProblemsSayWhere(t *testing.T) {
	t.Parallel()
	d := declaration.Declaration{Topics: []declaration.Topic{
		{Name: "kds.mine", Spec: topic.Spec{Partitions: 1, ReplicationFactor: 1}, Source: declaration.Source{File: "a.yaml", Line: 2}},
		{Name: "ok", Spec: topic.Spec{Partitions: 0, ReplicationFactor: 1}, Source: declaration.Source{File: "a.yaml", Line: 5}},
		{Name: "twice", Spec: topic.Spec{Partitions: 1, ReplicationFactor: 1}, Source: declaration.Source{File: "a.yaml", Line: 9}},
		{Name: "twice", Spec: topic.Spec{Partitions: 1, ReplicationFactor: 1}, Source: declaration.Source{File: "b.yaml", Line: 1}},
		{Name: "typo", Spec: topic.Spec{Partitions: 1, ReplicationFactor: 1, Configs: map[string]string{"retention.msec": "1"}}, Source: declaration.Source{File: "b.yaml", Line: 4}},
	}}
	err := d.Validate(topic.Limits{})
	for _, want := range []string{
		`a.yaml:2: invalid topic name "kds.mine"`,
		"a.yaml:5: topic ok: invalid topic spec: partitions must be at least 1, got 0",
		"b.yaml:1: topic twice is declared again (first at a.yaml:9)",
		"b.yaml:4: topic typo: invalid topic spec: config retention.msec is not a Kafka topic config (did you mean retention.ms?)",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("problems %v, want one saying %q", err, want)
		}
	}
}

// TestAChangeIsReachedOnlyWhereItLeads: a change another apply made first
// counts as made only when the topic is where this change leads.
func TestAChangeIsReachedOnlyWhereItLeads(t *testing.T) {
	t.Parallel()
	d := declaration.Declaration{Topics: []declaration.Topic{declared("orders", 3, nil, "shop")}}
	request := declaration.Compare(d, nil, declaration.Options{}).Changes[0]
	update := declaration.Compare(d, []query.Topic{stored("orders", topic.Active, 2, nil, "shop")}, declaration.Options{}).Changes[0]
	prune := declaration.Compare(declaration.Declaration{Topics: []declaration.Topic{declared("other", 1, nil, "shop")}},
		[]query.Topic{stored("orders", topic.Active, 1, nil, "shop"), stored("late", topic.Pending, 1, nil, "shop")},
		declaration.Options{Prune: true}).Changes
	deactivate, reject := prune[1], prune[0]
	if request.Action != declaration.Request || update.Action != declaration.Update ||
		deactivate.Action != declaration.Deactivate || reject.Action != declaration.Reject {
		t.Fatalf("changes: %v %v %v %v", request.Action, update.Action, deactivate.Action, reject.Action)
	}
	cases := []struct {
		change declaration.Change
		have   query.Topic
		want   bool
	}{
		{request, stored("orders", topic.Pending, 3, nil, "shop"), true},
		{request, stored("orders", topic.Active, 3, nil, "shop"), true},
		{request, stored("orders", topic.Pending, 2, nil, "shop"), false},
		{request, stored("orders", topic.Rejected, 3, nil, "shop"), false},
		{request, query.Topic{}, false},
		{update, stored("orders", topic.Active, 3, nil, "shop"), true},
		{update, stored("orders", topic.Active, 3, nil, "other-owner"), false},
		{update, stored("orders", topic.Inactive, 3, nil, "shop"), false},
		{deactivate, stored("orders", topic.Inactive, 1, nil, "shop"), true},
		{deactivate, stored("orders", topic.Deleted, 1, nil, "shop"), true},
		{deactivate, stored("orders", topic.Active, 1, nil, "shop"), false},
		{reject, stored("late", topic.Rejected, 1, nil, "shop"), true},
		{reject, stored("late", topic.Approved, 1, nil, "shop"), false},
	}
	for _, c := range cases {
		if got := c.change.ReachedBy(c.have); got != c.want {
			t.Errorf("%s of %s reached by %s %s (%d partitions, owner %s) = %v, want %v",
				c.change.Action, c.change.Topic, c.have.Status, c.have.Name, c.have.Partitions, c.have.Owner, got, c.want)
		}
	}
}

// TestADeclarationChangesOnlyWhatItSays: a topic declared without owner or
// description keeps the ones it has; declared ones replace them.
func TestADeclarationChangesOnlyWhatItSays(t *testing.T) {
	t.Parallel()
	have := stored("orders", topic.Active, 3, nil, "shop")
	have.Description = "Every order"
	silent := declared("orders", 3, nil, "")
	if c := declaration.Compare(declaration.Declaration{Topics: []declaration.Topic{silent}}, []query.Topic{have}, declaration.Options{}).Changes[0]; c.Action != declaration.Keep {
		t.Errorf("a declaration silent on owner and description: %s %v, want none", c.Action, c.What)
	}
	pending := stored("orders", topic.Pending, 3, nil, "admin")
	request := declaration.Compare(declaration.Declaration{Topics: []declaration.Topic{silent}}, nil, declaration.Options{}).Changes[0]
	if !request.ReachedBy(pending) {
		t.Error("a request silent on the owner is not reached by the topic requested with the requester as owner")
	}
	said := silent
	said.Details = topic.Details{Owner: "warehouse", Description: "Orders to ship"}
	c := declaration.Compare(declaration.Declaration{Topics: []declaration.Topic{said}}, []query.Topic{have}, declaration.Options{}).Changes[0]
	if c.Action != declaration.Update || strings.Join(c.What, "; ") != `owner "shop" → "warehouse"; description` {
		t.Errorf("a declaration of another owner and description: %s %q", c.Action, c.What)
	}
}

// TestADeclarationNamesProducersAndConsumers: a topic that declares its
// producers or consumers is updated to them; one silent on them keeps
// kds's.
func TestADeclarationNamesProducersAndConsumers(t *testing.T) {
	t.Parallel()
	have := stored("orders", topic.Active, 3, nil, "shop")
	have.Producers, have.Consumers = []string{"till"}, []string{"billing"}
	silent := declared("orders", 3, nil, "shop")
	if c := declaration.Compare(declaration.Declaration{Topics: []declaration.Topic{silent}}, []query.Topic{have}, declaration.Options{}).Changes[0]; c.Action != declaration.Keep {
		t.Errorf("a declaration silent on producers and consumers: %s %v, want none", c.Action, c.What)
	}
	said := silent
	said.Details.Producers = []string{"till", "web"}
	c := declaration.Compare(declaration.Declaration{Topics: []declaration.Topic{said}}, []query.Topic{have}, declaration.Options{}).Changes[0]
	if c.Action != declaration.Update || strings.Join(c.What, "; ") != "producers [till] → [till, web]" || !slices.Equal(c.Declared.Details.Consumers, have.Consumers) {
		t.Errorf("a declaration of other producers: %s %q, consumers %v", c.Action, c.What, c.Declared.Details.Consumers)
	}
}
