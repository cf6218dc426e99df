package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/app/content"
)

// keyField is the metadata field that carries a content message's key to
// the batch publisher.
const keyField = "key"

func newSendCommand(g *globals) *cobra.Command {
	var (
		kf       kafkaFlags
		batch    int
		inFlight int
		key      string
	)
	cmd := &cobra.Command{
		Use:   "send TOPIC [MESSAGE]",
		Short: "Send one message, or every line of standard input, to an active topic",
		Long: `Send MESSAGE to an active topic, or, without MESSAGE, every line of standard
input as one message each, in batches. A message counts as sent only once
Kafka has acknowledged it; if sending fails or Ctrl-C stops it, the count
printed is exact, and it says how many of the lines read were not sent.
The Kafka record's value is the message itself, so any Kafka client can
read it; kds adds the headers kds-producer and kds-sent-at.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := errors.Join(flagAtLeast("--batch", batch, 1), flagAtLeast("--in-flight", inFlight, 1)); err != nil {
				return err
			}
			client, err := g.client()
			if err != nil {
				return err
			}
			ctx, topicName := cmd.Context(), args[0]
			if err := activeTopic(ctx, client, topicName); err != nil {
				return err
			}
			me, err := client.Whoami(ctx)
			if err != nil {
				return err
			}
			kc, err := kf.config(ctx, client)
			if err != nil {
				return err
			}
			pub, err := kafka.NewBatchPublisher(kc, keyField)
			if err != nil {
				return err
			}
			defer pub.Close()
			s := sender{pub: pub, topic: topicName, producer: me.Name, key: key}
			if len(args) == 2 {
				if err := pub.Publish(topicName, s.message([]byte(args[1]))); err != nil {
					return err
				}
				return report(cmd.OutOrStdout(), g.output == "json", sendResult{Topic: topicName, Sent: 1, Bytes: int64(len(args[1]))})
			}
			res, err := s.bulk(ctx, cmd.InOrStdin(), batch, inFlight, progressTo(cmd.ErrOrStderr()))
			if rerr := report(cmd.OutOrStdout(), g.output == "json", res); rerr != nil {
				return rerr
			}
			if err != nil {
				return fmt.Errorf("sending stopped after %d acknowledged messages: %w", res.Sent, err)
			}
			return nil
		},
	}
	kf.register(cmd)
	cmd.Flags().IntVar(&batch, "batch", 2000, "messages per batch when reading standard input")
	cmd.Flags().IntVar(&inFlight, "in-flight", 4, "batches on their way to Kafka at once")
	cmd.Flags().StringVar(&key, "key", "", "Kafka key for every message (messages with one key stay in order)")
	return cmd
}

// sender makes and sends content messages.
type sender struct {
	pub      message.Publisher
	topic    string
	producer string
	key      string
}

func (s sender) message(value []byte) *message.Message {
	m := message.NewMessage(watermill.NewUUID(), value)
	m.Metadata.Set(content.ProducerHeader, s.producer)
	m.Metadata.Set(content.SentAtHeader, time.Now().UTC().Format(time.RFC3339Nano))
	if s.key != "" {
		m.Metadata.Set(keyField, s.key)
	}
	return m
}

type sendResult struct {
	Topic   string  `json:"topic"`
	Sent    int64   `json:"sent"`
	Bytes   int64   `json:"bytes"`
	Seconds float64 `json:"seconds"`
	Rate    float64 `json:"messages_per_second"`
}

// bulk sends every line of in, batch lines at a time with inFlight batches
// on their way at once, and counts only what Kafka acknowledged. A failure
// or Ctrl-C stops it: batches not yet on their way are dropped.
func (s sender) bulk(interrupt context.Context, in io.Reader, batch, inFlight int, progress func(sent, bytes int64)) (sendResult, error) {
	ctx, cancel := context.WithCancel(interrupt)
	defer cancel()
	start := time.Now()
	var sent, bytes atomic.Int64
	var (
		errOnce  sync.Once
		firstErr error
	)
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err; cancel() })
	}
	batches := make(chan []*message.Message, inFlight)
	var wg sync.WaitGroup
	for range inFlight {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				if ctx.Err() != nil {
					continue
				}
				n, size, err := s.publish(b)
				sent.Add(n)
				bytes.Add(size)
				if err != nil {
					fail(err)
				}
			}
		}()
	}
	stopProgress := tick(ctx, func() { progress(sent.Load(), bytes.Load()) })
	read, err := s.read(ctx, in, batch, batches)
	if err != nil {
		fail(err)
	}
	close(batches)
	wg.Wait()
	stopProgress()
	if firstErr == nil && interrupt.Err() != nil {
		firstErr = fmt.Errorf("%w: %d of the %d lines read were not sent", errInterrupted, int64(read)-sent.Load(), read)
	}
	took := time.Since(start)
	res := sendResult{Topic: s.topic, Sent: sent.Load(), Bytes: bytes.Load(), Seconds: took.Seconds()}
	res.Rate = float64(res.Sent) / max(took.Seconds(), 1e-9)
	return res, firstErr
}

// publish sends one batch and says how many of its messages, and bytes,
// Kafka acknowledged.
func (s sender) publish(b []*message.Message) (int64, int64, error) {
	err := s.pub.Publish(s.topic, b...)
	acked := len(b)
	if err != nil {
		acked = 0
		var pe *kafka.PublishError
		if errors.As(err, &pe) {
			acked = pe.Acked
		}
	}
	var size int64
	if acked == len(b) {
		for _, m := range b {
			size += int64(len(m.Payload))
		}
	}
	return int64(acked), size, err
}

// read cuts in into messages, a line each, and hands them on in batches,
// until the input or ctx ends; it says how many lines it read.
func (s sender) read(ctx context.Context, in io.Reader, batch int, out chan<- []*message.Message) (int, error) {
	sc := bufio.NewScanner(interruptible(ctx, in))
	sc.Buffer(make([]byte, 64*1024), maxInputLine)
	b := make([]*message.Message, 0, batch)
	line := 0
	for sc.Scan() {
		line++
		value := make([]byte, len(sc.Bytes()))
		copy(value, sc.Bytes())
		b = append(b, s.message(value))
		if len(b) == batch {
			select {
			case out <- b:
			case <-ctx.Done():
				return line, nil
			}
			b = make([]*message.Message, 0, batch)
		}
	}
	switch err := sc.Err(); {
	case ctx.Err() != nil:
		return line, nil
	case errors.Is(err, bufio.ErrTooLong):
		return line, fmt.Errorf("line %d of standard input is longer than %d bytes, the largest message Kafka takes", line+1, maxInputLine)
	case err != nil:
		return line, fmt.Errorf("read line %d of standard input: %w", line+1, err)
	}
	if len(b) > 0 {
		select {
		case out <- b:
		case <-ctx.Done():
		}
	}
	return line, nil
}

// tick calls fn every 200ms until the returned stop is called.
func tick(ctx context.Context, fn func()) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				fn()
			}
		}
	}()
	return func() { cancel(); <-done }
}

// progressTo shows progress on w when it is a terminal.
func progressTo(w io.Writer) func(sent, bytes int64) {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return func(int64, int64) {}
	}
	return func(sent, bytes int64) { fmt.Fprintf(w, "\rsent %d messages (%s)   ", sent, humanBytes(bytes)) }
}

func report(w io.Writer, asJSON bool, r sendResult) error {
	if asJSON {
		return printJSON(w, r)
	}
	if r.Sent == 1 && r.Seconds == 0 {
		_, err := fmt.Fprintf(w, "sent 1 message to %s\n", r.Topic)
		return err
	}
	_, err := fmt.Fprintf(w, "sent %d messages (%s) to %s in %.2fs: %.0f messages/s\n", r.Sent, humanBytes(r.Bytes), r.Topic, r.Seconds, r.Rate)
	return err
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
