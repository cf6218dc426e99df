package kafka_test

import (
	"context"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kds-io/kds/adapters/kafka/kafkatest"
)

// TestKadmMetadataIsCached pins a fact about kadm that kds works around
// (DESIGN.md §6): its Metadata and ListTopics answer from the kgo client's
// metadata cache, refreshed at most every MetadataMinAge (5 s), so a topic
// created by another client is not seen at once. kds's Cluster asks for
// metadata with its own request.
func TestKadmMetadataIsCached(t *testing.T) {
	t.Parallel()
	_, c := kafkatest.Start(t)
	client, err := kgo.NewClient(kgo.SeedBrokers(c.Brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	admin, ctx := kadm.NewClient(client), context.Background()
	if _, err := admin.ListTopics(ctx); err != nil {
		t.Fatal(err)
	}
	kafkatest.CreateTopics(t, c, 1, "unseen")
	topics, err := admin.ListTopics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if topics.Has("unseen") {
		t.Fatal("kadm saw a topic created since its last metadata request: its cache may no longer need working around")
	}
}
