package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/app/content"
	"github.com/kds-io/kds/app/subscription"
	"github.com/kds-io/kds/cmd/kds/internal/consumer"
	"github.com/kds-io/kds/cmd/kds/internal/producer"
)

func newBenchConsumeCommand(g *globals) *cobra.Command {
	var (
		kf                     kafkaFlags
		messages, rounds, size int
	)
	cmd := &cobra.Command{
		Use:   "consume",
		Short: "A consumer process reading a topic from the beginning, against a plain franz-go consumer",
		Long: `Creates a topic of 3 partitions and sends it --messages messages of --size
bytes, then, --rounds times, reads all of them from the beginning twice,
interleaved: with a consumer process of a new consumer id subscribed to the
topic (as kds consume --from-beginning runs it, each message encoded as
kds consume -o json prints it, without the terminal), and with a plain
franz-go consumer in a new consumer group. Each run is checked message by
message: every message sent, once. Prints each run, then the medians and
ranges.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := errors.Join(flagAtLeast("--messages", messages, 1), flagAtLeast("--rounds", rounds, 1), flagAtLeast("--size", size, 10)); err != nil {
				return err
			}
			b, err := newContentBench(cmd, g, kf)
			if err != nil {
				return err
			}
			return b.consume(cmd.Context(), messages, rounds, size)
		},
	}
	kf.register(cmd)
	cmd.Flags().IntVar(&messages, "messages", 500000, "messages to send and read")
	cmd.Flags().IntVar(&rounds, "rounds", 5, "rounds of each reader, interleaved")
	cmd.Flags().IntVar(&size, "size", 100, "bytes a message")
	return cmd
}

func (b contentBench) consume(ctx context.Context, messages, rounds, size int) error {
	name := fmt.Sprintf("bench.%s.consume", b.run)
	if err := b.activeTopics(ctx, []string{name}, 3); err != nil {
		return err
	}
	if err := b.fill(name, messages, size); err != nil {
		return err
	}
	fmt.Fprintf(b.out, "%d messages of %d bytes in %s, 3 partitions\n", messages, size, name)
	var kds, plain latencies
	for round := range rounds {
		took, err := b.consumeOnce(ctx, name, round, messages)
		if err != nil {
			return err
		}
		kds = append(kds, took)
		fmt.Fprintf(b.out, "round %d: consumer process %s (%.0f msg/s)", round+1, took.Round(time.Millisecond), float64(messages)/took.Seconds())
		if took, err = b.plainOnce(ctx, name, round, messages); err != nil {
			return err
		}
		plain = append(plain, took)
		fmt.Fprintf(b.out, ", plain franz-go %s (%.0f msg/s): %.0f %%\n", took.Round(time.Millisecond), float64(messages)/took.Seconds(),
			100*took.Seconds()/kds[round].Seconds())
	}
	fmt.Fprintf(b.out, "%d rounds, median (range): consumer process %s, plain franz-go %s\n", rounds, kds.spread(), plain.spread())
	return nil
}

// fill sends messages values of size bytes to topicName, each numbered.
func (b contentBench) fill(topicName string, messages, size int) error {
	pub, err := kafka.NewBatchPublisher(b.kc, producer.KeyField)
	if err != nil {
		return err
	}
	defer pub.Close()
	const batch = 10000
	for from := 0; from < messages; from += batch {
		vb := kafka.ValueBatch{Metadata: map[string]string{content.ProducerHeader: "bench"}, VaryingField: content.SentAtHeader}
		sentAt := time.Now().UTC().Format(time.RFC3339Nano)
		for i := from; i < min(from+batch, messages); i++ {
			v := make([]byte, size)
			copy(v, fmt.Sprintf("%010d ", i))
			for j := 11; j < size; j++ {
				v[j] = 'x'
			}
			vb.Values = append(vb.Values, v)
			vb.IDs = append(vb.IDs, []byte(strconv.Itoa(i)))
			vb.Varying = append(vb.Varying, sentAt)
		}
		if err := pub.PublishValues(topicName, vb); err != nil {
			return err
		}
	}
	return nil
}

// tally checks that every numbered message arrives once.
type tally struct {
	mu         sync.Mutex
	seen       []bool
	count, dup int
	bad        []byte
	all        chan struct{}
}

func newTally(n int) *tally { return &tally{seen: make([]bool, n), all: make(chan struct{})} }

func (t *tally) add(value []byte) {
	i, err := strconv.Atoi(string(value[:min(10, len(value))]))
	if err != nil || i < 0 || i >= len(t.seen) {
		t.bad = value
		return
	}
	if t.seen[i] {
		t.dup++
		return
	}
	t.seen[i] = true
	t.count++
	if t.count == len(t.seen) {
		close(t.all)
	}
}

func (t *tally) check(who string) error {
	switch {
	case t.bad != nil:
		return fmt.Errorf("%s read a message that was not sent: %q", who, t.bad)
	case t.dup > 0:
		return fmt.Errorf("%s read %d messages twice", who, t.dup)
	}
	return nil
}

// printedTally is a consumer process's sink: it encodes each message as
// kds consume -o json prints it, then counts it.
type printedTally struct {
	*tally
	line []byte
}

func (p *printedTally) Deliver(msgs []content.Message) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range msgs {
		p.line = msgs[i].AppendJSON(p.line[:0])
		p.add([]byte(msgs[i].Value))
	}
	return len(msgs), nil
}

func (p *printedTally) Notify(string, ...any) {}

func (b contentBench) consumeOnce(ctx context.Context, topicName string, round, messages int) (time.Duration, error) {
	id, err := subscription.ParseConsumerID(fmt.Sprintf("bench-%s-%d", b.run, round))
	if err != nil {
		return 0, err
	}
	t := newTally(messages)
	start := time.Now()
	proc, err := consumer.Start(ctx, b.client, b.kc, id, &printedTally{tally: t}, b.warnings)
	if err != nil {
		return 0, err
	}
	defer proc.Close()
	sub, err := b.client.Subscribe(ctx, string(id), topicName, true)
	if err != nil {
		return 0, err
	}
	if err := proc.Attach(sub); err != nil {
		return 0, err
	}
	select {
	case <-t.all:
	case <-ctx.Done():
		return 0, errInterrupted
	}
	took := time.Since(start)
	t.mu.Lock()
	defer t.mu.Unlock()
	return took, errors.Join(t.check("the consumer process"), b.client.Unsubscribe(ctx, string(id), topicName))
}

func (b contentBench) plainOnce(ctx context.Context, topicName string, round, messages int) (time.Duration, error) {
	t := newTally(messages)
	start := time.Now()
	err := kafka.PlainRead(ctx, b.kc, fmt.Sprintf("bench-%s-plain-%d", b.run, round), topicName, messages, t.add)
	took := time.Since(start)
	if err != nil {
		return 0, err
	}
	return took, t.check("the plain consumer")
}
