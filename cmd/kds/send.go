package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/cmd/kds/internal/lineedit"
	"github.com/kds-io/kds/cmd/kds/internal/producer"
)

func newSendCommand(g *globals) *cobra.Command {
	var (
		kf       kafkaFlags
		batch    int
		inFlight int
		linger   time.Duration
		key      string
	)
	cmd := &cobra.Command{
		Use:   "send TOPIC [MESSAGE]",
		Short: "Send one message, or every line of standard input, to an active topic",
		Long: `Send MESSAGE to an active topic, or, without MESSAGE, every line of standard
input as one message each, in batches (on a terminal, each line as it is
typed). A batch not yet full goes once its first line has waited --linger
and no more input is at hand, so lines that come slowly, as from tail -f,
are sent as they come. A message counts as sent only once
Kafka has acknowledged it; if sending fails or Ctrl-C stops it, the count
printed is exact, and it says how many of the lines read were not sent.
The Kafka record's value is the message itself, so any Kafka client can
read it; kds adds the headers kds-producer and kds-sent-at.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := errors.Join(flagAtLeast("--batch", batch, 1), flagAtLeast("--in-flight", inFlight, 1)); err != nil {
				return err
			}
			if linger < 0 {
				return &usageError{msg: fmt.Sprintf("--linger must be at least 0s, got %s", linger)}
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
			kc, err := kf.config(ctx, g, client)
			if err != nil {
				return err
			}
			pub, err := kafka.NewBatchPublisher(kc, producer.KeyField)
			if err != nil {
				return err
			}
			defer pub.Close()
			p := producer.New(pub, topicName, me.Name, key)
			if len(args) == 2 {
				if err := p.Send([]byte(args[1])); err != nil {
					return err
				}
				return report(cmd.OutOrStdout(), g.output == "json", producer.Result{Topic: topicName, Sent: 1, Bytes: int64(len(args[1]))})
			}
			in, progress := cmd.InOrStdin(), progressTo(cmd.ErrOrStderr())
			if lineedit.IsTerminal(in) {
				// Someone types the messages: each goes when typed, and
				// no progress line writes over what is being typed.
				batch, progress = 1, func(int64, int64) {}
				fmt.Fprintf(cmd.ErrOrStderr(), "type the messages for %s, one a line: each is sent at Enter; Ctrl-D ends\n", visible(topicName))
			} else {
				// A bulk send's garbage is its batches, a few MiB:
				// collecting less often spends a quarter less CPU per
				// message.
				debug.SetGCPercent(400)
			}
			res, err := p.Bulk(ctx, in, batch, inFlight, linger, progress)
			if rerr := report(cmd.OutOrStdout(), g.output == "json", res); rerr != nil {
				return rerr
			}
			if err == nil && ctx.Err() != nil {
				err = fmt.Errorf("%w: %d of the %d lines read were not sent", errInterrupted, res.Read-res.Sent, res.Read)
			}
			if err != nil {
				return fmt.Errorf("sending stopped after %s: %w", quantity(res.Sent, "acknowledged message"), err)
			}
			return nil
		},
	}
	kf.register(cmd)
	cmd.Flags().IntVar(&batch, "batch", 2000, "messages per batch when reading standard input")
	cmd.Flags().IntVar(&inFlight, "in-flight", 4, "batches on their way to Kafka at once")
	cmd.Flags().DurationVar(&linger, "linger", 50*time.Millisecond, "longest a line waits for a batch to fill while no more input comes")
	cmd.Flags().StringVar(&key, "key", "", "Kafka key for every message (messages with one key stay in order)")
	return cmd
}

// progressTo shows progress on w when it is a terminal.
func progressTo(w io.Writer) func(sent, bytes int64) {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return func(int64, int64) {}
	}
	return func(sent, bytes int64) {
		fmt.Fprintf(w, "\rsent %s (%s)   ", quantity(sent, "message"), humanBytes(bytes))
	}
}

func report(w io.Writer, asJSON bool, r producer.Result) error {
	if asJSON {
		return printJSON(w, r)
	}
	if r.Sent == 1 && r.Seconds == 0 {
		_, err := fmt.Fprintf(w, "sent 1 message to %s\n", r.Topic)
		return err
	}
	_, err := fmt.Fprintf(w, "sent %s (%s) to %s in %.2fs: %.0f messages/s\n", quantity(r.Sent, "message"), humanBytes(r.Bytes), r.Topic, r.Seconds, r.Rate)
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
