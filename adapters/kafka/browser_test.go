package kafka_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/adapters/kafka/kafkatest"
	"github.com/kds-io/kds/app/content"
)

// TestBrowserPagesThroughATopic writes 30 records over three partitions,
// a minute apart, and reads them back a page at a time from the oldest,
// from a time, the newest, and filtered by key and by text: every record
// comes exactly once, in order of time, and no consumer group appears.
func TestBrowserPagesThroughATopic(t *testing.T) {
	t.Parallel()
	_, c := kafkatest.Start(t)
	ctx := context.Background()
	kafkatest.CreateTopics(t, c, 3, "browse")
	t0 := time.Now().UTC().Truncate(time.Millisecond).Add(-time.Hour)
	for i := range 30 {
		kafkatest.Produce(t, c, &kgo.Record{Topic: "browse", Partition: int32(i % 3), Key: []byte(fmt.Sprint("k", i%4)),
			Value: []byte(fmt.Sprint("value ", i)), Timestamp: t0.Add(time.Duration(i) * time.Minute),
			Headers: []kgo.RecordHeader{{Key: "n", Value: []byte(fmt.Sprint(i))}}})
	}
	kafkatest.Produce(t, c, &kgo.Record{Topic: "browse", Partition: 0, Value: []byte{0xff, 0x00, 'x'}, Timestamp: t0.Add(31 * time.Minute)})
	b := kafka.NewBrowser(c)
	browse := func(req content.Browse) content.Page {
		t.Helper()
		req.Topic = "browse"
		if req.Limit == 0 {
			req.Limit = 7
		}
		page, err := b.Browse(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		return page
	}

	// From the oldest, page by page.
	var seen []string
	page := browse(content.Browse{Partition: -1, Positions: content.Positions{0: 0, 1: 0, 2: 0}})
	for pages := 0; ; pages++ {
		for _, r := range page.Records {
			seen = append(seen, r.Value)
		}
		if page.AtEnd || pages > 10 {
			break
		}
		page = browse(content.Browse{Partition: -1, Positions: page.Next})
	}
	if len(seen) != 31 || seen[0] != "value 0" || seen[29] != "value 29" {
		t.Fatalf("paged through %d records: %q", len(seen), seen)
	}
	if last := page.Records[len(page.Records)-1]; last.ValueEncoding != "base64" || last.Value != "/wB4" {
		t.Errorf("a value that is not UTF-8: %+v", last)
	}

	// From a time: the first records at or after it.
	page = browse(content.Browse{Partition: -1, From: t0.Add(25 * time.Minute), Limit: 3})
	if len(page.Records) != 3 || page.Records[0].Value != "value 25" || page.Records[2].Value != "value 27" {
		t.Errorf("from minute 25: %+v", page.Records)
	}

	// The newest, of one partition.
	page = browse(content.Browse{Partition: 1, Limit: 2})
	if len(page.Records) != 2 || page.Records[0].Value != "value 25" || page.Records[1].Value != "value 28" || !page.AtEnd ||
		page.NextOffsets != "1:10" {
		t.Errorf("the newest of partition 1: %+v", page)
	}
	if h := page.Records[1].Headers; len(h) != 1 || h[0] != (content.Header{Key: "n", Value: "28"}) || page.Records[1].Key != "k0" {
		t.Errorf("key and headers of value 28: %+v", page.Records[1])
	}

	// Filtered by key and by text.
	page = browse(content.Browse{Partition: -1, HasKey: true, Key: "k1", Limit: 100})
	if len(page.Records) != 8 || page.Records[0].Value != "value 1" || page.Records[7].Value != "value 29" {
		t.Errorf("key k1: %+v", page.Records)
	}
	page = browse(content.Browse{Partition: -1, Grep: "value 2", Limit: 100, Positions: content.Positions{0: 0, 1: 0, 2: 0}})
	if len(page.Records) != 11 || page.Scanned != 31 {
		t.Errorf("grep 'value 2': %d records of %d scanned", len(page.Records), page.Scanned)
	}

	if groups, err := kafkatest.Admin(t, c).ListGroups(ctx); err != nil || len(groups) != 0 {
		t.Errorf("consumer groups after browsing: %v, %v", groups, err)
	}
	if _, err := b.Browse(ctx, content.Browse{Topic: "browse", Partition: 7, Limit: 1}); err == nil {
		t.Error("a partition the topic lacks was read")
	}
}

// TestBrowserEndsAPageAtATransactionMarker writes records in a
// transaction, whose commit marker takes the last offset without being a
// record anyone reads: a page of them ends once nothing more comes rather
// than waiting for its request to time out.
func TestBrowserEndsAPageAtATransactionMarker(t *testing.T) {
	t.Parallel()
	_, c := kafkatest.Start(t)
	ctx := context.Background()
	kafkatest.CreateTopics(t, c, 1, "txn")
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Brokers...), kgo.TransactionalID("browse-test"), kgo.DefaultProduceTopic("txn"))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := cl.ProduceSync(ctx, kgo.StringRecord("one"), kgo.StringRecord("two")).FirstErr(); err != nil {
		t.Fatal(err)
	}
	if err := cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
		t.Fatal(err)
	}
	// Well short of the end offset's wait, which never ends.
	readCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	page, err := kafka.NewBrowser(c).Browse(readCtx, content.Browse{Topic: "txn", Partition: -1, Limit: 10, Positions: content.Positions{0: 0}})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Records) != 2 || page.Records[1].Value != "two" || page.NextOffsets != "0:2" || page.AtEnd {
		t.Errorf("a transaction's page: %+v", page)
	}
}
