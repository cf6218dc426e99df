package main_test

// Fault tests of what Kafka does behind kds's back: a topic created there
// first, so that an approval can never succeed until someone fixes it; a
// topic deleted there; and topics kds never heard of.

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/kds-io/kds/adapters/kafka/kafkatest"
)

// The parts of `kds poison list -o json` and `kds topic drift -o json` the
// tests read.
type (
	poisonDoc struct {
		ID      string `json:"id"`
		Topic   string `json:"topic"`
		Key     string `json:"key"`
		Handler string `json:"handler"`
		Reason  string `json:"reason"`
		Payload string `json:"payload"`
		Signed  bool   `json:"signed"`
	}
	driftDoc struct {
		Checked  int `json:"checked"`
		Findings []struct {
			Topic    string `json:"topic"`
			Kind     string `json:"kind"`
			Detail   string `json:"detail"`
			Repaired bool   `json:"repaired"`
			Error    string `json:"error"`
		} `json:"findings"`
	}
)

// finding is the drift document's finding about name, if any.
func (d driftDoc) finding(name string) (kind string, repaired bool, ok bool) {
	for _, f := range d.Findings {
		if f.Topic == name {
			return f.Kind, f.Repaired, true
		}
	}
	return "", false, false
}

// TestPoisonedApprovalIsRequeuedOnceFixed approves a topic that someone
// already created in Kafka with another partition count: Kafka refuses,
// the event lands on kds.poison with the reason, the CLI and the topic say
// why; once the conflicting topic is gone, requeueing the poison message
// makes the topic active.
func TestPoisonedApprovalIsRequeuedOnceFixed(t *testing.T) {
	t.Parallel()
	kcat := requireKcat(t)
	d := startDev(t, devOptions{})
	kc := kafkatest.Config(d.KafkaAddrs...)
	d.request(t, "clash", "-p", "2")
	kafkatest.CreateTopics(t, kc, 5, "clash") // behind kds's back

	const why = `kafka refused to create topic "clash": it already exists in Kafka with 5 partitions and replication factor 1, not 2 and 1`
	r := d.kds(t, "topic", "approve", "clash")
	wantFailure(t, r, 1, "clash: the topic manager could not finish: "+why)
	wantLines(t, r, "clash: approved")
	if got := d.show(t, "clash"); got.Status != "approved" || got.Error != why {
		t.Fatalf("clash after the refused creation: %+v, want approved with the error %q", got, why)
	}
	wantLines(t, d.mustKds(t, "topic", "show", "clash"), "error:              "+why)

	var poisoned poisonDoc
	eventually(t, "the approval on kds.poison", func() (bool, string) {
		var ms []poisonDoc
		decodeJSON(t, d.kds(t, "poison", "list", "-o", "json"), &ms)
		for _, m := range ms {
			if m.Key == "clash" {
				poisoned = m
				return true, ""
			}
		}
		return false, fmt.Sprintf("%+v", ms)
	})
	if poisoned.Topic != "kds.events" || poisoned.Handler != "kds-topic-manager" || !strings.Contains(poisoned.Reason, why) || poisoned.ID == "" {
		t.Fatalf("poison message: %+v, want the event from kds.events, the topic manager as handler and the reason %q", poisoned, why)
	}
	if list := d.mustKds(t, "poison", "list"); !strings.Contains(list.Stdout, poisoned.ID) || !strings.Contains(list.Stdout, "already exists in Kafka with 5 partitions") {
		t.Errorf("kds poison list does not show the message and its reason:\n%s", list)
	}
	// Requeued before the cause is fixed, it fails again and is poisoned
	// again, with the same reason and an id of its own.
	wantLines(t, d.mustKds(t, "poison", "requeue", poisoned.ID), fmt.Sprintf("requeued %s on kds.events (clash)", poisoned.ID))
	eventually(t, "the requeued approval poisoned again", func() (bool, string) {
		var ms []poisonDoc
		decodeJSON(t, d.kds(t, "poison", "list", "-o", "json"), &ms)
		var again []poisonDoc
		for _, m := range ms {
			if m.Key == "clash" && m.ID != poisoned.ID && strings.Contains(m.Reason, why) {
				again = append(again, m)
			}
		}
		ids := map[string]bool{}
		for _, m := range ms {
			ids[m.ID] = true
		}
		return len(again) == 1 && len(ids) == len(ms), fmt.Sprintf("%+v", ms)
	})
	if got := d.show(t, "clash"); got.Status != "approved" || got.Error != why {
		t.Fatalf("clash after a premature requeue: %+v", got)
	}

	kafkatest.DeleteTopics(t, kc, "clash")
	eventually(t, "the conflicting clash gone from Kafka", func() (bool, string) {
		topics, _ := kafkaTopics(t, kcat, d.KafkaAddrs)
		_, ok := topics["clash"]
		return !ok, fmt.Sprint(userTopics(topics))
	})
	wantLines(t, d.mustKds(t, "poison", "requeue", poisoned.ID), fmt.Sprintf("requeued %s on kds.events (clash)", poisoned.ID))
	eventually(t, "clash active", func() (bool, string) {
		got := d.show(t, "clash")
		return got.Status == "active" && got.Error == "", fmt.Sprintf("%+v", got)
	})
	checkKafkaAgrees(t, kcat, d.KafkaAddrs, map[string]int{"clash": 2}, nil)
	var actions []string
	for _, tr := range d.history(t, "clash") {
		actions = append(actions, tr.Action)
	}
	if want := []string{"request", "approve", "activate"}; !slices.Equal(actions, want) {
		t.Errorf("clash's history: %v, want %v", actions, want)
	}
}

// TestReconciliationRepairsAndReportsDrift runs the topic manager's
// comparison of kds with Kafka every second. An active topic deleted
// behind kds's back is created again and the repair is recorded; a topic
// kds never heard of is reported as an orphan, and imported as active
// when kds is told to sync orphans. kds's own topics are left alone.
func TestReconciliationRepairsAndReportsDrift(t *testing.T) {
	t.Parallel()
	kcat := requireKcat(t)
	t.Run("repair and report", func(t *testing.T) {
		t.Parallel()
		d := startDev(t, devOptions{env: []string{"KDS_TOPIC_MANAGER_RECONCILE_INTERVAL=1s"}})
		kc := kafkatest.Config(d.KafkaAddrs...)
		d.activeTopic(t, "steady", 3)
		kafkatest.DeleteTopics(t, kc, "steady") // behind kds's back
		var seen driftDoc
		eventually(t, "the repair reported by kds topic drift", func() (bool, string) {
			var doc driftDoc
			decodeJSON(t, d.kds(t, "topic", "drift", "-o", "json"), &doc)
			if kind, repaired, ok := doc.finding("steady"); ok && kind == "active-missing" && repaired {
				seen = doc
				return true, ""
			}
			return false, fmt.Sprintf("%+v", doc)
		})
		checkKafkaAgrees(t, kcat, d.KafkaAddrs, map[string]int{"steady": 3}, nil)
		var repairs []transitionDoc
		for _, tr := range d.history(t, "steady") {
			if tr.Action == "repair" {
				repairs = append(repairs, tr)
			}
		}
		if len(repairs) != 1 || repairs[0].Reason != "recreated: it was missing from Kafka" || repairs[0].Actor != "topic-manager" || repairs[0].From != "active" || repairs[0].To != "active" {
			t.Errorf("steady's history records %+v, want one repair by the topic manager: recreated", repairs)
		}
		if got := d.show(t, "steady"); got.Status != "active" {
			t.Errorf("steady after the repair: %+v", got)
		}

		kafkatest.CreateTopics(t, kc, 2, "stranger")
		eventually(t, "the orphan reported", func() (bool, string) {
			var doc driftDoc
			decodeJSON(t, d.kds(t, "topic", "drift", "-o", "json"), &doc)
			seen = doc
			kind, repaired, ok := doc.finding("stranger")
			return ok && kind == "orphan" && !repaired, fmt.Sprintf("%+v", doc)
		})
		for _, f := range seen.Findings {
			if strings.HasPrefix(f.Topic, "kds.") || strings.HasPrefix(f.Topic, "__") {
				t.Errorf("reconciliation reports kds's or Kafka's own topic: %+v", f)
			}
		}
		wantFailure(t, d.kds(t, "topic", "show", "stranger"), 1, `topic "stranger" not found`)
		table := d.mustKds(t, "topic", "drift")
		if !strings.Contains(table.Stdout, "stranger") || !strings.Contains(table.Stdout, "orphan") {
			t.Errorf("kds topic drift does not show the orphan:\n%s", table)
		}
	})
	t.Run("import orphans", func(t *testing.T) {
		t.Parallel()
		d := startDev(t, devOptions{env: []string{"KDS_TOPIC_MANAGER_RECONCILE_INTERVAL=1s", "KDS_TOPIC_MANAGER_SYNC_ORPHANED_TOPICS=true"}})
		const retention = "3600000"
		resp, err := kafkatest.Admin(t, kafkatest.Config(d.KafkaAddrs...)).CreateTopic(context.Background(), 4, 1, map[string]*string{"retention.ms": kadm.StringPtr(retention)}, "found")
		if err != nil {
			t.Fatalf("create found: %v (%s)", err, resp.ErrMessage)
		}
		eventually(t, "found imported as active", func() (bool, string) {
			r := d.kds(t, "topic", "show", "found", "-o", "json")
			var got topicDoc
			if r.Code == 0 {
				decodeJSON(t, r, &got)
			}
			return got.Status == "active" && got.Partitions == 4 && got.ReplicationFactor == 1 && got.Configs["retention.ms"] == retention, r.String()
		})
		h := d.history(t, "found")
		if len(h) != 1 || h[0].Action != "import" || h[0].To != "active" || h[0].Actor != "topic-manager" {
			t.Errorf("found's history: %+v, want one import by the topic manager", h)
		}
		checkKafkaAgrees(t, kcat, d.KafkaAddrs, map[string]int{"found": 4}, nil)
		// Imported, it is kds's like any other: it can be deactivated.
		wantLines(t, d.mustKds(t, "topic", "deactivate", "found", "--yes"), "found: deleted from Kafka")
		checkKafkaAgrees(t, kcat, d.KafkaAddrs, nil, []string{"found"})
	})
}
