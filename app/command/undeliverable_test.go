package command_test

import (
	"context"
	"strings"
	"testing"

	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/topic"
)

// recordedPoison keeps what is recorded on kds.poison.
type recordedPoison struct {
	command.PoisonQueue
	recorded []command.PoisonMessage
}

func (p *recordedPoison) Record(_ context.Context, m command.PoisonMessage) error {
	p.recorded = append(p.recorded, m)
	return nil
}

func TestWhatKafkaRefusesIsRecordedAndItsCommandFails(t *testing.T) {
	t.Parallel()
	f := newFixture()
	poison := &recordedPoison{}
	h := command.NewUndeliverableHandler(f.queue, poison)
	cmds, err := f.issue.Handle(context.Background(), producer, command.Issue{Type: command.RequestTopicType, Topic: "huge", Reason: strings.Repeat("x", 900)})
	if err != nil {
		t.Fatal(err)
	}
	payload, err := cmds[0].Encode()
	if err != nil {
		t.Fatal(err)
	}
	const why = "kafka server: Message was too large, server rejected it to avoid allocation error"
	if err := h.Handle(context.Background(), command.Undeliverable{Topic: topic.CommandsTopic, Key: "huge", Payload: payload, Reason: why}); err != nil {
		t.Fatal(err)
	}
	failed := f.queue.Failed()
	wantReason := "Kafka refused the command for good: " + why
	if len(failed) != 1 || failed[0].ID != cmds[0].ID || failed[0].Error != wantReason {
		t.Fatalf("failed commands %+v, want %s with %q", failed, cmds[0].ID, wantReason)
	}
	if len(poison.recorded) != 1 {
		t.Fatalf("recorded %+v", poison.recorded)
	}
	m := poison.recorded[0]
	if m.Topic != topic.CommandsTopic || m.Key != "huge" || m.Handler != command.ForwarderHandler || m.Reason != wantReason ||
		len(m.Payload) > command.MaxUndeliverableExcerpt+len("…") || !strings.HasPrefix(string(payload), strings.TrimSuffix(m.Payload, "…")) {
		t.Fatalf("recorded %+v", m)
	}

	// An event fails no command: the one that caused it was applied.
	event, _ := topic.MarshalMessage(topic.Event{Type: topic.TopicApproved, Topic: "huge", CommandID: cmds[0].ID})
	if err := h.Handle(context.Background(), command.Undeliverable{Topic: topic.EventsTopic, Key: "huge", Payload: event, Reason: why}); err != nil {
		t.Fatal(err)
	}
	if len(f.queue.Failed()) != 1 || len(poison.recorded) != 2 || poison.recorded[1].Reason != "Kafka refused the event for good: "+why {
		t.Fatalf("after an event: failed %+v, recorded %+v", f.queue.Failed(), poison.recorded)
	}
}
