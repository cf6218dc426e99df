package kafka_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/adapters/kafka/kafkatest"
)

func valueBatch(n int, stamps ...string) kafka.ValueBatch {
	b := kafka.ValueBatch{Metadata: map[string]string{"kds-producer": "ana", "partition_key": "k1"}, VaryingField: "kds-sent-at"}
	for i := range n {
		b.Values = append(b.Values, []byte(fmt.Sprintf("v%d", i)))
		b.IDs = append(b.IDs, []byte(fmt.Sprintf("id-%d", i)))
		b.Varying = append(b.Varying, stamps[i%len(stamps)])
	}
	return b
}

// TestPublishValuesSendsEachValueWithItsIDAndTheSharedMetadata reads the
// records back: each has its own id and stamp, the shared headers, and
// the key field as its key, not as a header.
func TestPublishValuesSendsEachValueWithItsIDAndTheSharedMetadata(t *testing.T) {
	t.Parallel()
	_, cfg := kafkatest.Start(t, kfake.SeedTopics(1, "values"))
	p := newBatchPublisher(t, cfg)
	if err := p.PublishValues("values", valueBatch(4, "t1", "t2")); err != nil {
		t.Fatal(err)
	}
	got := kafkatest.Records(t, cfg, "values", 4)
	for i, r := range got {
		headers := map[string]string{}
		for _, h := range r.Headers {
			headers[h.Key] = string(h.Value)
		}
		want := map[string]string{"_watermill_message_uuid": fmt.Sprintf("id-%d", i), "kds-producer": "ana", "kds-sent-at": []string{"t1", "t2"}[i%2]}
		if string(r.Value) != fmt.Sprintf("v%d", i) || string(r.Key) != "k1" || fmt.Sprint(headers) != fmt.Sprint(want) {
			t.Errorf("record %d: value %q, key %q, headers %v; want v%d, k1, %v", i, r.Value, r.Key, headers, i, want)
		}
	}
}

func TestPublishValuesSendsNothingOfABatchWithAnOversizedValue(t *testing.T) {
	t.Parallel()
	_, cfg := kafkatest.Start(t, kfake.SeedTopics(1, "big"))
	p := newBatchPublisher(t, cfg)
	b := valueBatch(3, "t")
	b.Values[1] = make([]byte, 2<<20)
	var tooLarge *kafka.MessageTooLargeError
	if err := p.PublishValues("big", b); !errors.As(err, &tooLarge) {
		t.Fatalf("got %v, want MessageTooLargeError", err)
	}
	if n := kafkatest.RecordCount(t, cfg, "big"); n != 0 {
		t.Fatalf("%d records written of a refused batch", n)
	}
}
