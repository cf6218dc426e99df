package kafka_test

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/adapters/kafka/kafkatest"
)

func messages(n int, size int) []*message.Message {
	msgs := make([]*message.Message, n)
	for i := range msgs {
		payload := []byte(fmt.Sprintf("%0*d", size, i))
		msgs[i] = message.NewMessage(watermill.NewUUID(), payload)
		msgs[i].Metadata.Set("kds-producer", "test")
	}
	return msgs
}

func newBatchPublisher(t *testing.T, c kafka.Config) *kafka.BatchPublisher {
	t.Helper()
	p, err := kafka.NewBatchPublisher(c, "partition_key")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func TestBatchPublisherReturnsOnceEveryMessageIsAcknowledged(t *testing.T) {
	t.Parallel()
	_, cfg := kafkatest.Start(t, kfake.SeedTopics(3, "bulk"))
	p := newBatchPublisher(t, cfg)
	for range 20 {
		if err := p.Publish("bulk", messages(1000, 100)...); err != nil {
			t.Fatal(err)
		}
	}
	// Publish returned: every message must be in the log already.
	if n := kafkatest.RecordCount(t, cfg, "bulk"); n != 20000 {
		t.Fatalf("%d records in Kafka after 20,000 acknowledged", n)
	}
}

func TestBatchPublisherSendsNothingOfABatchWithAnOversizedMessage(t *testing.T) {
	t.Parallel()
	_, cfg := kafkatest.Start(t, kfake.SeedTopics(1, "big"))
	p := newBatchPublisher(t, cfg)
	batch := append(messages(10, 10), message.NewMessage(watermill.NewUUID(), make([]byte, 2<<20)))
	var tooLarge *kafka.MessageTooLargeError
	if err := p.Publish("big", batch...); !errors.As(err, &tooLarge) {
		t.Fatalf("got %v, want MessageTooLargeError", err)
	}
	if n := kafkatest.RecordCount(t, cfg, "big"); n != 0 {
		t.Fatalf("%d records written of a refused batch", n)
	}
}

// TestBatchPublisherCountsExactlyWhatWasAcknowledged makes the broker refuse
// some produce requests and checks the reported count against the log.
func TestBatchPublisherCountsExactlyWhatWasAcknowledged(t *testing.T) {
	t.Parallel()
	c, cfg := kafkatest.Start(t, kfake.SeedTopics(3, "flaky"))
	var requests atomic.Int32
	c.ControlKey(int16(kmsg.Produce), func(req kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		if requests.Add(1)%3 != 0 {
			return nil, nil, false
		}
		pr := req.(*kmsg.ProduceRequest)
		resp := pr.ResponseKind().(*kmsg.ProduceResponse)
		for _, rt := range pr.Topics {
			st := kmsg.NewProduceResponseTopic()
			st.Topic, st.TopicID = rt.Topic, rt.TopicID
			for _, rp := range rt.Partitions {
				sp := kmsg.NewProduceResponseTopicPartition()
				sp.Partition = rp.Partition
				sp.ErrorCode = kerr.InvalidRecord.Code
				st.Partitions = append(st.Partitions, sp)
			}
			resp.Topics = append(resp.Topics, st)
		}
		return resp, nil, true
	})
	p := newBatchPublisher(t, cfg)
	var acked int
	for range 10 {
		err := p.Publish("flaky", messages(500, 100)...)
		var pe *kafka.PublishError
		switch {
		case err == nil:
			acked += 500
		case errors.As(err, &pe):
			acked += pe.Acked
		default:
			t.Fatal(err)
		}
	}
	if acked == 5000 {
		t.Fatal("no request was refused: the test did not inject a fault")
	}
	if n := kafkatest.RecordCount(t, cfg, "flaky"); n != int64(acked) {
		t.Fatalf("reported %d acknowledged, Kafka holds %d", acked, n)
	}
}

// TestRefusedWriteSaysWhoCanGrantIt: a write Kafka refused for want of an
// ACL says that an admin names producers, and how; a topic's owner cannot.
func TestRefusedWriteSaysWhoCanGrantIt(t *testing.T) {
	err := &kafka.PublishError{Topic: "orders", Failed: 1, Where: "Kafka at b:9092", Err: kerr.TopicAuthorizationFailed}
	msg := err.Error()
	for _, want := range []string{`no WRITE on topic "orders"`, "only an admin can name your token among its producers", "kds topic update orders --producer NAME"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the refusal %q does not say %q", msg, want)
		}
	}
	if strings.Contains(msg, "owner") {
		t.Errorf("the refusal %q sends the writer to the topic's owner, who cannot name producers", msg)
	}
}
