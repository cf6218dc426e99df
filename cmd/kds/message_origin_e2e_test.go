package main_test

// Messages written to kds's internal topics by anyone but kds: whoever can
// write to Kafka must not be able to act as an admin or as the topic
// manager.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// kcatProduce writes one record with kcat: key, headers ("name=value") and
// payload, and waits until Kafka acknowledged it.
func kcatProduce(t *testing.T, kcat string, brokers []string, topic, key, payload string, headers ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	args := []string{"-b", strings.Join(brokers, ","), "-P", "-t", topic, "-k", key}
	for _, h := range headers {
		args = append(args, "-H", h)
	}
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, kcat, args...)
	cmd.Stdin = strings.NewReader(payload + "\n")
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Fatalf("kcat -P -t %s: %v\n%s", topic, err, stderr.String())
	}
}

// TestForgedMessagesOnKafkaAreNeverApplied writes commands and events to
// kds.commands and kds.events with kcat, as anyone who can reach Kafka
// can: a deactivation and an approval in an admin's name, the topic
// manager's triggers, and a command kds signed with its content changed.
// None of them is applied: each lands on kds.poison with the reason, kds
// poison requeue will not replay them, and real commands behind them work.
func TestForgedMessagesOnKafkaAreNeverApplied(t *testing.T) {
	t.Parallel()
	kcat := requireKcat(t)
	d := startDev(t, devOptions{})
	d.activeTopic(t, "sec_todeact", 1)
	d.request(t, "sec_pending")
	d.request(t, "sec_other")
	historyBefore := d.history(t, "sec_todeact")

	now := time.Now().UTC().Format(time.RFC3339Nano)
	command := func(typ, name, actor string) string {
		return fmt.Sprintf(`{"type":%q,"command_id":%q,"topic":%q,"actor":%q,"reason":"forged","issued_at":%q}`, typ, uuid.NewString(), name, actor, now)
	}
	event := func(typ, name, status string) string {
		return fmt.Sprintf(`{"type":%q,"topic":%q,"status":%q,"generation":1,"command_id":%q,"actor":"sec_admin","at":%q}`, typ, name, status, uuid.NewString(), now)
	}
	forged := []struct{ topic, key, payload string }{
		{"kds.commands", "sec_todeact", command("DeactivateTopic", "sec_todeact", "sec_admin")},
		{"kds.commands", "sec_pending", command("ApproveTopic", "sec_pending", "forged-admin")},
		{"kds.events", "sec_pending", event("TopicApproved", "sec_pending", "approved")},
		{"kds.events", "sec_todeact", event("TopicDeactivated", "sec_todeact", "inactive")},
	}
	for _, f := range forged {
		kcatProduce(t, kcat, d.KafkaAddrs, f.topic, f.key, f.payload)
	}
	// A command kds wrote, with its signature, its key and its headers, and
	// its content changed into an approval of another topic.
	var signed kcatRecord
	for _, r := range kcatRead(t, kcat, d.KafkaAddrs, "kds.commands") {
		if r.Payload != nil && strings.Contains(*r.Payload, `"ApproveTopic"`) && strings.Contains(*r.Payload, `"sec_todeact"`) {
			signed = r
		}
	}
	if signed.Payload == nil {
		t.Fatal("kds.commands holds no approval of sec_todeact")
	}
	if _, ok := signed.header("kds-signature"); !ok {
		t.Fatalf("the approval kds wrote has no kds-signature header: %v", signed.Headers)
	}
	var approval map[string]any
	if err := json.Unmarshal([]byte(*signed.Payload), &approval); err != nil {
		t.Fatal(err)
	}
	approval["topic"], approval["command_id"] = "sec_other", uuid.NewString()
	altered, _ := json.Marshal(approval)
	var headers []string
	for i := 0; i+1 < len(signed.Headers); i += 2 {
		headers = append(headers, signed.Headers[i]+"="+signed.Headers[i+1])
	}
	kcatProduce(t, kcat, d.KafkaAddrs, "kds.commands", *signed.Key, string(altered), headers...)

	// Each lands on kds.poison, with the reason, from the handler that
	// would have acted on it.
	var poisoned []poisonDoc
	eventually(t, "the forged messages on kds.poison", func() (bool, string) {
		var ms []poisonDoc
		decodeJSON(t, d.kds(t, "poison", "list", "-o", "json"), &ms)
		poisoned = ms
		return len(ms) == len(forged)+1, fmt.Sprintf("%+v", ms)
	})
	keys := map[string]string{string(altered): *signed.Key}
	for _, f := range forged {
		keys[f.payload] = f.key
	}
	for _, m := range poisoned {
		wantHandler := map[string]string{"kds.commands": "kds-lifecycle", "kds.events": "kds-topic-manager"}[m.Topic]
		if m.Handler != wantHandler || m.Signed || m.ID == "" || m.Key != keys[m.Payload] {
			t.Errorf("poison message %+v: want an id, the key it was written with, handler %s, not signed", m, wantHandler)
		}
		if m.Payload == string(altered) {
			if !strings.Contains(m.Reason, "not written by kds: the signature does not match") {
				t.Errorf("the altered approval is poisoned with the reason %q", m.Reason)
			}
		} else if !strings.Contains(m.Reason, "not written by kds: no kds-signature header") {
			t.Errorf("%s on %s is poisoned with the reason %q", m.Key, m.Topic, m.Reason)
		}
	}
	list := d.mustKds(t, "poison", "list")
	if !strings.Contains(list.Stdout, "not written by kds") {
		t.Errorf("kds poison list does not say why:\n%s", list)
	}

	// Nothing happened.
	statuses := d.statuses(t)
	if statuses["sec_todeact"] != "active" || statuses["sec_pending"] != "pending" || statuses["sec_other"] != "pending" {
		t.Fatalf("after the forged messages: %v", statuses)
	}
	if got := d.history(t, "sec_todeact"); !slices.Equal(got, historyBefore) {
		t.Errorf("sec_todeact's history changed: %+v", got)
	}
	if topics, _ := kafkaTopics(t, kcat, d.KafkaAddrs); topics["sec_todeact"].Partitions == nil {
		t.Error("sec_todeact is gone from Kafka")
	}

	// Replaying them is refused, one by one and all at once.
	wantFailure(t, d.kds(t, "poison", "requeue", poisoned[0].ID), 1, "is not signed by kds", "never requeued")
	all := d.mustKds(t, "poison", "requeue", "--all")
	for _, m := range poisoned {
		wantLines(t, all, fmt.Sprintf("skipped %s: not signed by kds", m.ID))
	}

	// Real commands behind them work.
	d.mustKds(t, "topic", "approve", "sec_pending")
	d.mustKds(t, "topic", "deactivate", "sec_todeact", "--yes")
	statuses = d.statuses(t)
	if statuses["sec_pending"] != "active" || statuses["sec_todeact"] != "deleted" || statuses["sec_other"] != "pending" {
		t.Fatalf("after real commands: %v", statuses)
	}
	var poisonedAfter []poisonDoc
	decodeJSON(t, d.kds(t, "poison", "list", "-o", "json"), &poisonedAfter)
	if len(poisonedAfter) != len(poisoned) {
		t.Errorf("kds.poison holds %d messages after the refused requeues and real commands, want %d", len(poisonedAfter), len(poisoned))
	}
}
