package main

import (
	"errors"
	"fmt"
	"testing"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/kds-io/kds/adapters/kafka"
)

// refusingPublisher acknowledges some messages of each batch and says so
// in an error wrapped on its way up.
type refusingPublisher struct {
	message.Publisher
	acked int
}

func (p refusingPublisher) Publish(_ string, msgs ...*message.Message) error {
	return fmt.Errorf("publish: %w", &kafka.PublishError{Acked: p.acked, Failed: len(msgs) - p.acked, Err: errors.New("broker gone")})
}

// TestAPartlyAcknowledgedBatchIsCountedThroughWrapping: the count of what
// Kafka acknowledged is found in the error however it was wrapped.
func TestAPartlyAcknowledgedBatchIsCountedThroughWrapping(t *testing.T) {
	t.Parallel()
	s := sender{pub: refusingPublisher{acked: 3}, topic: "orders"}
	batch := []*message.Message{
		message.NewMessage(watermill.NewUUID(), []byte("a")), message.NewMessage(watermill.NewUUID(), []byte("b")),
		message.NewMessage(watermill.NewUUID(), []byte("c")), message.NewMessage(watermill.NewUUID(), []byte("d")),
	}
	acked, _, err := s.publish(batch)
	if acked != 3 || err == nil {
		t.Fatalf("publish: %d acknowledged, %v; want 3 and the error", acked, err)
	}
}
