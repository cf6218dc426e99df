package topic_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/kds-io/kds/app/topic"
)

var spec = topic.Spec{Partitions: 3, ReplicationFactor: 1, Configs: map[string]string{"retention.ms": "60000"}}

// topicIn builds a topic that has reached status st the way the lifecycle gets there.
func topicIn(t *testing.T, st topic.Status) *topic.Topic {
	t.Helper()
	tp, err := topic.New(topic.MustParseName("news_updates"), spec, topic.Details{}, topic.Limits{}, "alice", "")
	if err != nil {
		t.Fatal(err)
	}
	path := map[topic.Status][]func() error{
		topic.Pending:  nil,
		topic.Approved: {func() error { return tp.Approve("root", "") }},
		topic.Rejected: {func() error { return tp.Reject("root", "duplicate") }},
		topic.Active:   {func() error { return tp.Approve("root", "") }, func() error { return tp.Activate("tm") }},
		topic.Inactive: {func() error { return tp.Approve("root", "") }, func() error { return tp.Activate("tm") }, func() error { return tp.Deactivate("root", "") }},
		topic.Deleted: {func() error { return tp.Approve("root", "") }, func() error { return tp.Activate("tm") }, func() error { return tp.Deactivate("root", "") },
			func() error { return tp.MarkDeleted("tm", "") }},
	}[st]
	for _, step := range path {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	if tp.Status() != st {
		t.Fatalf("setup reached %s, want %s", tp.Status(), st)
	}
	return topic.UnmarshalFromDatabase(tp.Name(), tp.Generation(), tp.Status(), tp.Spec(), tp.Details(), tp.RequestedBy())
}

func TestEveryStatusTimesEveryAction(t *testing.T) {
	t.Parallel()
	actions := map[topic.Action]func(*topic.Topic) error{
		topic.Approve:    func(tp *topic.Topic) error { return tp.Approve("root", "ok") },
		topic.Reject:     func(tp *topic.Topic) error { return tp.Reject("root", "no") },
		topic.Activate:   func(tp *topic.Topic) error { return tp.Activate("tm") },
		topic.Deactivate: func(tp *topic.Topic) error { return tp.Deactivate("root", "done") },
		topic.Delete:     func(tp *topic.Topic) error { return tp.MarkDeleted("tm", "") },
		topic.Request: func(tp *topic.Topic) error {
			return tp.RequestAgain(spec, topic.Details{}, topic.Limits{}, "bob", "again")
		},
		topic.Repair: func(tp *topic.Topic) error { return tp.RecordRepair("tm", "recreated after it went missing") },
		topic.Access: func(tp *topic.Topic) error {
			return tp.RecordAccess("tm", "granted WRITE on topic orders to User:kds-alice")
		},
		topic.Update: func(tp *topic.Topic) error {
			grown := tp.Spec()
			grown.Partitions++
			return tp.Update(grown, tp.Details(), topic.Limits{}, "root", "")
		},
	}
	legal := map[topic.Status]map[topic.Action]topic.Status{
		topic.Pending:  {topic.Approve: topic.Approved, topic.Reject: topic.Rejected},
		topic.Approved: {topic.Activate: topic.Active, topic.Access: topic.Approved},
		topic.Active:   {topic.Deactivate: topic.Inactive, topic.Repair: topic.Active, topic.Update: topic.Active, topic.Access: topic.Active},
		topic.Inactive: {topic.Delete: topic.Deleted, topic.Access: topic.Inactive},
		topic.Deleted:  {topic.Request: topic.Pending},
		topic.Rejected: {topic.Request: topic.Pending},
	}
	for _, st := range topic.Statuses {
		for action, do := range actions {
			t.Run(string(st)+"/"+string(action), func(t *testing.T) {
				t.Parallel()
				tp := topicIn(t, st)
				gen := tp.Generation()
				err := do(tp)
				want, ok := legal[st][action]
				if !ok {
					if err == nil {
						t.Fatalf("%s on a %s topic succeeded, want an error", action, st)
					}
					if !topic.IsRefusal(err) {
						t.Fatalf("error %v is not a refusal", err)
					}
					if tp.Status() != st || len(tp.Transitions()) != 0 || tp.Generation() != gen {
						t.Fatalf("refused %s changed the topic: status %s, %d transitions", action, tp.Status(), len(tp.Transitions()))
					}
					return
				}
				if err != nil {
					t.Fatalf("%s on a %s topic: %v", action, st, err)
				}
				if tp.Status() != want {
					t.Fatalf("status %s, want %s", tp.Status(), want)
				}
				trs := tp.Transitions()
				if len(trs) != 1 {
					t.Fatalf("%d transitions recorded, want 1", len(trs))
				}
				tr := trs[0]
				if tr.From != st || tr.To != want || tr.Action != action || tr.Generation != tp.Generation() {
					t.Fatalf("transition %+v does not describe %s → %s", tr, st, want)
				}
				if action == topic.Request && tp.Generation() != gen+1 {
					t.Fatalf("generation %d after a new request, want %d", tp.Generation(), gen+1)
				}
			})
		}
	}
}

func TestIllegalTransitionMessages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		from topic.Status
		do   func(*topic.Topic) error
		want string
	}{
		{topic.Approved, func(tp *topic.Topic) error { return tp.Reject("b", "") }, `cannot reject topic "news_updates": it is already approved (only pending topics can be rejected)`},
		{topic.Rejected, func(tp *topic.Topic) error { return tp.Approve("b", "") }, `cannot approve topic "news_updates": it is already rejected (only pending topics can be approved)`},
		{topic.Pending, func(tp *topic.Topic) error { return tp.Deactivate("b", "") }, `cannot deactivate topic "news_updates": it is pending (only active topics can be deactivated)`},
	}
	for _, tt := range tests {
		err := tt.do(topicIn(t, tt.from))
		var illegal *topic.IllegalTransitionError
		if !errors.As(err, &illegal) {
			t.Fatalf("got %v, want an IllegalTransitionError", err)
		}
		if err.Error() != tt.want {
			t.Errorf("message\n got %s\nwant %s", err, tt.want)
		}
	}
}

func TestRequestAgainWhileLiveIsAlreadyExists(t *testing.T) {
	t.Parallel()
	err := topicIn(t, topic.Active).RequestAgain(spec, topic.Details{}, topic.Limits{}, "bob", "")
	var exists *topic.AlreadyExistsError
	if !errors.As(err, &exists) || exists.Status != topic.Active {
		t.Fatalf("got %v, want AlreadyExistsError for an active topic", err)
	}
}

func TestNewRecordsTheRequest(t *testing.T) {
	t.Parallel()
	tp, err := topic.New(topic.MustParseName("orders"), spec, topic.Details{}, topic.Limits{}, "alice", "for the shop")
	if err != nil {
		t.Fatal(err)
	}
	if tp.Status() != topic.Pending || tp.Generation() != 1 || tp.RequestedBy() != "alice" {
		t.Fatalf("new topic: %s gen %d by %s", tp.Status(), tp.Generation(), tp.RequestedBy())
	}
	trs := tp.Transitions()
	if len(trs) != 1 || trs[0].From != "" || trs[0].To != topic.Pending || trs[0].Reason != "for the shop" ||
		trs[0].EventType() != topic.TopicRequested {
		t.Fatalf("transitions %+v", trs)
	}
}

func TestSpecIsCopiedNotShared(t *testing.T) {
	t.Parallel()
	configs := map[string]string{"retention.ms": "1"}
	tp, err := topic.New(topic.MustParseName("orders"), topic.Spec{Partitions: 1, ReplicationFactor: 1, Configs: configs}, topic.Details{}, topic.Limits{}, "a", "")
	if err != nil {
		t.Fatal(err)
	}
	configs["retention.ms"] = "2"
	tp.Spec().Configs["retention.ms"] = "3"
	if got := tp.Spec().Configs["retention.ms"]; got != "1" {
		t.Fatalf("retention.ms = %s, want 1: the topic shares its configs map", got)
	}
}

func TestNewRefusesAnInvalidSpec(t *testing.T) {
	t.Parallel()
	_, err := topic.New(topic.MustParseName("orders"), topic.Spec{Partitions: 0, ReplicationFactor: 9}, topic.Details{}, topic.Limits{MaxReplicationFactor: 3}, "a", "")
	var invalid *topic.InvalidSpecError
	if !errors.As(err, &invalid) {
		t.Fatalf("got %v, want InvalidSpecError", err)
	}
	for _, want := range []string{"partitions must be at least 1", "replication factor must be at most 3"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not report %q", err, want)
		}
	}
}

func TestSpecChecksWellKnownConfigs(t *testing.T) {
	t.Parallel()
	ok := topic.Spec{Partitions: 1, ReplicationFactor: 1, Configs: map[string]string{
		"retention.ms": "-1", "cleanup.policy": "compact,delete", "compression.type": "zstd", "message.timestamp.type": "LogAppendTime"}}
	if err := ok.Validate(topic.Limits{}); err != nil {
		t.Fatalf("valid configs refused: %v", err)
	}
	for k, v := range map[string]string{"retention.ms": "abc", "min.insync.replicas": "0", "cleanup.policy": "forever", "Bad Key": "1"} {
		s := topic.Spec{Partitions: 1, ReplicationFactor: 1, Configs: map[string]string{k: v}}
		if err := s.Validate(topic.Limits{}); err == nil {
			t.Errorf("%s=%s accepted", k, v)
		}
	}
}

// TestSpecBoundsItsConfigs: at most MaxConfigs configs, each key at most
// MaxConfigKeyLength bytes and each value at most MaxConfigValueLength, so
// that a request cannot carry thousands of made-up keys, and one problem
// is reported rather than one per config.
func TestSpecBoundsItsConfigs(t *testing.T) {
	t.Parallel()
	many := map[string]string{}
	for i := range topic.MaxConfigs + 1 {
		many[fmt.Sprintf("x.config.%d", i)] = "Bad Value"
	}
	for _, tt := range []struct {
		configs map[string]string
		want    string
	}{
		{many, "at most 100 configs, got 101"},
		{map[string]string{strings.Repeat("a", topic.MaxConfigKeyLength+1): "1"}, "config key of 129 bytes, at most 128 are allowed"},
		{map[string]string{"x.y": strings.Repeat("9", topic.MaxConfigValueLength+1)}, "config x.y has a value of 1025 bytes, at most 1024 are allowed"},
	} {
		err := topic.Spec{Partitions: 1, ReplicationFactor: 1, Configs: tt.configs}.Validate(topic.Limits{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("got %v, want %q", err, tt.want)
		}
		if err != nil && len(err.Error()) > 300 {
			t.Errorf("the error lists every config: %.300s…", err)
		}
	}
}

// TestConfigsAreKafkasTopicConfigs: a config must be one of Kafka's topic
// configs, for the Kafka version kds speaks, with a value Kafka takes; the
// refusal says why, and suggests the config meant.
func TestConfigsAreKafkasTopicConfigs(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		configs map[string]string
		version string
		says    string // empty: accepted
	}{
		{map[string]string{"retention.ms": "604800000", "cleanup.policy": "compact,delete", "min.cleanable.dirty.ratio": "0.2",
			"compression.type": "zstd", "unclean.leader.election.enable": "false", "message.timestamp.type": "LogAppendTime"}, "2.8.0", ""},
		{map[string]string{"retention.msec": "1"}, "", "config retention.msec is not a Kafka topic config (did you mean retention.ms?)"},
		{map[string]string{"log.retention.ms": "1"}, "", "it is a broker config; the topic's is retention.ms"},
		{map[string]string{"made.up": "1"}, "", "config made.up is not a Kafka topic config"},
		{map[string]string{"retention.ms": "-2"}, "", `config retention.ms="-2": want a whole number of at least -1`},
		{map[string]string{"retention.ms": "1h"}, "", `config retention.ms="1h": want a whole number`},
		{map[string]string{"min.cleanable.dirty.ratio": "1.5"}, "", `want a number from 0 to 1`},
		{map[string]string{"cleanup.policy": "forever"}, "", `want compact or delete, or several of them separated by commas`},
		{map[string]string{"compression.type": "brotli"}, "", `want one of uncompressed, zstd, lz4, snappy, gzip, producer`},
		{map[string]string{"preallocate": "yes"}, "", `want true or false`},
		{map[string]string{"local.retention.ms": "1000"}, "2.8.0", "config local.retention.ms is a topic config from Kafka 3.6 on, and kafka.version is 2.8"},
		{map[string]string{"local.retention.ms": "1000"}, "3.7.0", ""},
		{map[string]string{"message.format.version": "2.8"}, "4.0.0", "config message.format.version is no topic config since Kafka 4.0"},
		{map[string]string{"compression.zstd.level": "3"}, "", ""},
	} {
		err := topic.Spec{Partitions: 1, ReplicationFactor: 1, Configs: c.configs}.Validate(topic.Limits{KafkaVersion: c.version})
		switch {
		case c.says == "" && err != nil:
			t.Errorf("%v on Kafka %q: %v", c.configs, c.version, err)
		case c.says != "" && (err == nil || !strings.Contains(err.Error(), c.says)):
			t.Errorf("%v on Kafka %q: %v, want an error saying %q", c.configs, c.version, err, c.says)
		}
	}
}

func TestMessagesKeepHTMLCharacters(t *testing.T) {
	t.Parallel()
	b, err := topic.MarshalMessage(topic.Event{Type: topic.TopicRequested, Topic: "t", Reason: "<a> & \x01"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"reason":"<a> & \u0001"`) || strings.HasSuffix(string(b), "\n") {
		t.Fatalf("encoded %s", b)
	}
}

func TestImportStartsActive(t *testing.T) {
	t.Parallel()
	tp, err := topic.NewImported(topic.MustParseName("legacy"), topic.Spec{Partitions: 6, ReplicationFactor: 1}, "topic-manager", "found in Kafka")
	if err != nil {
		t.Fatal(err)
	}
	trs := tp.Transitions()
	if tp.Status() != topic.Active || tp.Generation() != 1 || len(trs) != 1 || trs[0].From != "" || trs[0].EventType() != topic.TopicImported {
		t.Fatalf("imported %s gen %d, transitions %+v", tp.Status(), tp.Generation(), trs)
	}
}

func TestEveryTransitionEventNamesItsAction(t *testing.T) {
	t.Parallel()
	for _, a := range []topic.Action{topic.Request, topic.Approve, topic.Reject, topic.Activate, topic.Deactivate, topic.Delete, topic.Repair, topic.Import, topic.Access} {
		et := topic.Transition{Action: a}.EventType()
		if got, ok := et.Action(); !ok || got != a {
			t.Errorf("%s → %q → %q, %v", a, et, got, ok)
		}
	}
	if _, ok := topic.CommandRejected.Action(); ok {
		t.Error("CommandRejected reports a transition")
	}
}

// TestUpdateChangesWhatKafkaCan: an active topic takes more partitions,
// other configs and other details, with a transition that says what
// changed; fewer partitions, another replication factor and no change at
// all are refused, and change nothing.
func TestUpdateChangesWhatKafkaCan(t *testing.T) {
	t.Parallel()
	tp := topicIn(t, topic.Active)
	before := tp.Spec()
	to := topic.Spec{Partitions: before.Partitions + 2, ReplicationFactor: before.ReplicationFactor, Configs: map[string]string{"cleanup.policy": "compact"}}
	if err := tp.Update(to, topic.Details{Owner: "newsroom", Description: "breaking news"}, topic.Limits{}, "root", ""); err != nil {
		t.Fatal(err)
	}
	trs := tp.Transitions()
	last := trs[len(trs)-1]
	if last.Action != topic.Update || last.From != topic.Active || last.To != topic.Active || last.EventType() != topic.TopicUpdated ||
		!last.Spec.Equal(to) || last.Reason != fmt.Sprintf("partitions %d → %d; set cleanup.policy=compact; unset retention.ms; owner \"\" → \"newsroom\"; description", before.Partitions, to.Partitions) {
		t.Fatalf("transition %+v", last)
	}
	if tp.Details().Owner != "newsroom" || !tp.Spec().Equal(to) {
		t.Fatalf("after the update: %+v %+v", tp.Spec(), tp.Details())
	}
	for _, c := range []struct {
		spec topic.Spec
		says string
	}{
		{topic.Spec{Partitions: 1, ReplicationFactor: to.ReplicationFactor}, "Kafka cannot take partitions away"},
		{topic.Spec{Partitions: to.Partitions, ReplicationFactor: to.ReplicationFactor + 1, Configs: to.Configs}, "does not change a topic's replication factor"},
		{to, "is already as asked"},
	} {
		err := tp.Update(c.spec, tp.Details(), topic.Limits{}, "root", "")
		if err == nil || !strings.Contains(err.Error(), c.says) || !topic.IsRefusal(err) {
			t.Errorf("update to %+v: %v, want a refusal saying %q", c.spec, err, c.says)
		}
	}
	if !tp.Spec().Equal(to) || len(tp.Transitions()) != len(trs) {
		t.Errorf("a refused update changed the topic: %+v", tp.Spec())
	}
}

func TestDetailsAreValidated(t *testing.T) {
	t.Parallel()
	for _, d := range []topic.Details{{Owner: "two words"}, {Owner: strings.Repeat("o", 65)}, {Description: "a\x1b[2Jb"}, {Description: strings.Repeat("d", topic.MaxDescriptionLength+1)}} {
		if _, err := topic.New(topic.MustParseName("described"), spec, d, topic.Limits{}, "a", ""); err == nil {
			t.Errorf("details %+q accepted", d)
		}
	}
	if _, err := topic.New(topic.MustParseName("described"), spec, topic.Details{Owner: "team.news@example", Description: "two\nlines"}, topic.Limits{}, "a", ""); err != nil {
		t.Error(err)
	}
}
