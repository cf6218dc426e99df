package kafkatest_test

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kds-io/kds/adapters/kafka/kafkatest"
)

func TestTopicsCreatedWrittenAndDeleted(t *testing.T) {
	t.Parallel()
	_, c := kafkatest.Start(t, kfake.NumBrokers(3))
	if err := c.Validate(); err != nil {
		t.Fatalf("the configuration for the cluster: %v", err)
	}
	kafkatest.CreateTopics(t, c, 3, "a", "b")
	if p, r, ok := kafkatest.Describe(t, c, "a"); !ok || p != 3 || r != 1 {
		t.Fatalf("a: exists %v, %d partitions, %d replicas", ok, p, r)
	}
	kafkatest.Produce(t, c, &kgo.Record{Topic: "a", Partition: 0}, &kgo.Record{Topic: "a", Partition: 2}, &kgo.Record{Topic: "a", Partition: 2})
	if n := kafkatest.RecordCount(t, c, "a"); n != 3 {
		t.Fatalf("a holds %d records, want 3", n)
	}
	kafkatest.DeleteTopics(t, c, "a")
	if _, _, ok := kafkatest.Describe(t, c, "a"); ok {
		t.Fatal("a still exists")
	}
	if _, _, ok := kafkatest.Describe(t, c, "b"); !ok {
		t.Fatal("b is gone with a")
	}
}
