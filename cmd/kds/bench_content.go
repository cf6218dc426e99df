package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/kds-io/kds/adapters/httpapi/apiclient"
	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/content"
	"github.com/kds-io/kds/app/subscription"
	"github.com/kds-io/kds/app/topic"
	"github.com/kds-io/kds/cmd/kds/internal/consumer"
	"github.com/kds-io/kds/cmd/kds/internal/producer"
)

// contentBench drives kds's own content path (the batching publisher and a
// consumer process) against a running kds.
type contentBench struct {
	client   *apiclient.Client
	kc       kafka.Config
	out      io.Writer
	warnings io.Writer
	run      string
}

func newContentBench(cmd *cobra.Command, g *globals, kf kafkaFlags) (contentBench, error) {
	client, err := g.client()
	if err != nil {
		return contentBench{}, err
	}
	kc, err := kf.config(cmd.Context(), g, client)
	if err != nil {
		return contentBench{}, err
	}
	return contentBench{client: client, kc: kc, out: cmd.OutOrStdout(), warnings: cmd.ErrOrStderr(), run: time.Now().Format("150405")}, nil
}

func newBenchLatencyCommand(g *globals) *cobra.Command {
	var (
		kf       kafkaFlags
		rate     int
		duration time.Duration
		size     int
	)
	cmd := &cobra.Command{
		Use:   "latency",
		Short: "Send → receive latency at a steady rate, through a consumer process",
		Long: `Creates a topic of 3 partitions, runs a consumer process subscribed to it
and a producer sending one message at a time at --rate messages per second
for --duration; prints the time from send (kds-sent-at) to receipt.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := errors.Join(flagAtLeast("--rate", rate, 1), flagAtLeast("--size", size, 0)); err != nil {
				return err
			}
			// The sender ticks every second/rate: a tick takes at least a nanosecond.
			if rate > int(time.Second) {
				return &usageError{msg: fmt.Sprintf("--rate must be at most %d, got %d", int(time.Second), rate)}
			}
			if duration <= 0 {
				return &usageError{msg: fmt.Sprintf("--duration must be more than 0, got %s", duration)}
			}
			b, err := newContentBench(cmd, g, kf)
			if err != nil {
				return err
			}
			return b.latency(cmd.Context(), rate, duration, size)
		},
	}
	kf.register(cmd)
	cmd.Flags().IntVar(&rate, "rate", 200, "messages per second")
	cmd.Flags().DurationVar(&duration, "duration", 20*time.Second, "how long to send")
	cmd.Flags().IntVar(&size, "size", 100, "message size in bytes")
	return cmd
}

func newBenchSubscribeCommand(g *globals) *cobra.Command {
	var (
		kf     kafkaFlags
		topics int
	)
	cmd := &cobra.Command{
		Use:   "subscribe",
		Short: "One consumer process subscribed to many topics: memory, and subscribe → first message",
		Long: `Creates --topics topics, then subscribes one consumer process to each in turn
and sends it a message; prints the time from subscribing to the message's
arrival, and the process's resident memory once all subscriptions run.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := flagAtLeast("--topics", topics, 1); err != nil {
				return err
			}
			b, err := newContentBench(cmd, g, kf)
			if err != nil {
				return err
			}
			return b.subscribe(cmd.Context(), topics)
		},
	}
	kf.register(cmd)
	cmd.Flags().IntVar(&topics, "topics", 500, "topics to subscribe to")
	return cmd
}

// activeTopics requests and approves topics and waits until all are active.
func (b contentBench) activeTopics(ctx context.Context, names []string, partitions int32) error {
	lb := lifecycleBench{client: b.client, out: b.out, run: b.run}
	for _, step := range []struct {
		t     command.Type
		until topic.Status
	}{{command.RequestTopicType, topic.Pending}, {command.ApproveTopicType, topic.Active}} {
		if _, err := lb.batch(ctx, step.t, names, step.until, partitions); err != nil {
			return err
		}
	}
	return nil
}

// arrivals records when each awaited message arrives.
type arrivals struct {
	mu      sync.Mutex
	waiting map[string]chan time.Time
	delays  latencies
}

func (a *arrivals) expect(value string) <-chan time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	ch := make(chan time.Time, 1)
	a.waiting[value] = ch
	return ch
}

func (a *arrivals) Deliver(msgs []content.Message) (int, error) {
	now := time.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, m := range msgs {
		if !m.SentAt.IsZero() {
			a.delays = append(a.delays, now.Sub(m.SentAt))
		}
		if ch, ok := a.waiting[m.Value]; ok {
			ch <- now
			delete(a.waiting, m.Value)
		}
	}
	return len(msgs), nil
}

func (a *arrivals) Notify(string, ...any) {}

func (b contentBench) consumerProcess(ctx context.Context, a *arrivals) (*consumer.Process, error) {
	id, err := subscription.ParseConsumerID("bench-" + b.run)
	if err != nil {
		return nil, err
	}
	return consumer.Start(ctx, b.client, b.kc, id, a, b.warnings)
}

func (b contentBench) latency(ctx context.Context, rate int, duration time.Duration, size int) error {
	name := fmt.Sprintf("bench.%s.latency", b.run)
	if err := b.activeTopics(ctx, []string{name}, 3); err != nil {
		return err
	}
	a := &arrivals{waiting: map[string]chan time.Time{}}
	proc, err := b.consumerProcess(ctx, a)
	if err != nil {
		return err
	}
	defer proc.Close()
	sub, err := b.client.Subscribe(ctx, string(proc.ID()), name, false)
	if err != nil {
		return err
	}
	if err := proc.Attach(sub); err != nil {
		return err
	}
	pub, err := kafka.NewBatchPublisher(b.kc, producer.KeyField)
	if err != nil {
		return err
	}
	defer pub.Close()
	if _, err := firstArrival(ctx, pub, a, name); err != nil {
		return err
	}
	s := producer.New(pub, name, "bench", "")
	a.mu.Lock()
	a.delays = nil
	a.mu.Unlock()
	value := []byte(strings.Repeat("x", size))
	interval := time.Second / time.Duration(rate)
	t := time.NewTicker(interval)
	defer t.Stop()
	sent := 0
	for end := time.Now().Add(duration); time.Now().Before(end); sent++ {
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w after sending %d messages, before the results", errInterrupted, sent)
		case <-t.C:
		}
		if err := pub.Publish(name, s.Message(value)); err != nil {
			return err
		}
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		a.mu.Lock()
		got := len(a.delays)
		a.mu.Unlock()
		if got >= sent {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w while waiting for the last of %d messages, before the results", errInterrupted, sent)
		case <-time.After(10 * time.Millisecond):
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.delays.print(b.out, fmt.Sprintf("send → receive at %d msg/s (%d of %d received):", rate, len(a.delays), sent))
	return nil
}

func (b contentBench) subscribe(ctx context.Context, n int) error {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("bench.%s.sub.%04d", b.run, i)
	}
	if err := b.activeTopics(ctx, names, 1); err != nil {
		return err
	}
	a := &arrivals{waiting: map[string]chan time.Time{}}
	before := residentMemory()
	proc, err := b.consumerProcess(ctx, a)
	if err != nil {
		return err
	}
	defer proc.Close()
	pub, err := kafka.NewBatchPublisher(b.kc, producer.KeyField)
	if err != nil {
		return err
	}
	defer pub.Close()
	var (
		mu    sync.Mutex
		delay latencies
		errs  []error
	)
	start := time.Now()
	concurrently(names, 8, func(name string) {
		d, err := b.subscribeOne(ctx, proc, pub, a, name)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errs = append(errs, err)
			return
		}
		delay = append(delay, d)
	})
	took := time.Since(start)
	if len(errs) > 0 {
		return fmt.Errorf("%d of %d subscriptions failed, the first: %w", len(errs), n, errs[0])
	}
	peak := peakResidentMemory()
	runtime.GC()
	debug.FreeOSMemory()
	after := residentMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	delay.print(b.out, fmt.Sprintf("subscribe → first message (%d topics, 8 at once):", n))
	fmt.Fprintf(b.out, "%-44s %d subscriptions in %s; resident memory %s before, peak %s, %s with all running after a GC (Go heap %s, stacks %s, %d goroutines)\n",
		"one consumer process:", len(proc.Attached()), took.Round(time.Millisecond), humanBytes(before), humanBytes(peak), humanBytes(after),
		humanBytes(int64(ms.HeapInuse)), humanBytes(int64(ms.StackInuse)), runtime.NumGoroutine())
	return nil
}

// subscribeOne subscribes, then sends until the subscription sees a message.
func (b contentBench) subscribeOne(ctx context.Context, proc *consumer.Process, pub *kafka.BatchPublisher, a *arrivals, name string) (time.Duration, error) {
	start := time.Now()
	sub, err := b.client.Subscribe(ctx, string(proc.ID()), name, false)
	if err != nil {
		return 0, err
	}
	if err := proc.Attach(sub); err != nil {
		return 0, err
	}
	at, err := firstArrival(ctx, pub, a, name)
	return at.Sub(start), err
}

// firstArrival sends to a topic until a message reaches the subscription:
// a new subscription starts at new messages, from when its consumer group
// has joined, so the first sends may pass it by.
func firstArrival(ctx context.Context, pub *kafka.BatchPublisher, a *arrivals, name string) (time.Time, error) {
	s := producer.New(pub, name, "bench", "")
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		arrived := a.expect(name)
		if err := pub.Publish(name, s.Message([]byte(name))); err != nil {
			return time.Time{}, err
		}
		select {
		case at := <-arrived:
			return at, nil
		case <-ctx.Done():
			return time.Time{}, fmt.Errorf("%w while waiting for a message to reach the subscription to %s", errInterrupted, name)
		case <-time.After(100 * time.Millisecond):
		}
	}
	return time.Time{}, fmt.Errorf("no message reached the subscription to %s in 30 s", name)
}

// residentMemory reads this process's resident set size from /proc.
func residentMemory() int64 { return memoryStatus("VmRSS") }

// peakResidentMemory reads the most this process ever held resident.
func peakResidentMemory() int64 { return memoryStatus("VmHWM") }

// memoryStatus reads a size, such as VmRSS, from /proc/self/status.
func memoryStatus(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var kb int64
		if _, err := fmt.Sscanf(sc.Text(), field+": %d kB", &kb); err == nil {
			return kb * 1024
		}
	}
	return 0
}
