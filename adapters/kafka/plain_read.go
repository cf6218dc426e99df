package kafka

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kgo"
)

// PlainRead reads topic from its oldest records in a new consumer group
// with a plain franz-go consumer until it has n records, committing
// nothing: the reference kds bench measures kds's consumers against. It
// hands each record's value to seen.
func PlainRead(ctx context.Context, c Config, group, topicName string, n int, seen func(value []byte)) error {
	client, err := kgo.NewClient(append(c.kgo(), kgo.ConsumerGroup(group), kgo.ConsumeTopics(topicName),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DisableAutoCommit())...)
	if err != nil {
		return &UnreachableError{Where: c.Where(), Err: err}
	}
	defer client.Close()
	for read := 0; read < n; {
		fetches := client.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return err
		}
		if errs := fetches.Errors(); len(errs) > 0 {
			return fmt.Errorf("read %s: %w", topicName, errs[0].Err)
		}
		fetches.EachRecord(func(r *kgo.Record) {
			seen(r.Value)
			read++
		})
	}
	return nil
}
