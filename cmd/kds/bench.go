package main

import (
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/spf13/cobra"
)

func newBenchCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure a running kds the way users see it",
		Long: `Benchmarks that drive a running kds (kds dev, or kds serve on real Kafka)
through its API with an admin token, and print what they measured.
docs/BENCHMARKS.md records results.`,
	}
	cmd.AddCommand(newBenchLifecycleCommand(g), newBenchLatencyCommand(g), newBenchSubscribeCommand(g), newBenchApplyCommand(g), newBenchConsumeCommand(g))
	return cmd
}

// latencies summarises a sample of durations.
type latencies []time.Duration

func (l latencies) percentile(p float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	s := slices.Clone(l)
	slices.Sort(s)
	i := int(p/100*float64(len(s))+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func (l latencies) print(w io.Writer, what string) {
	fmt.Fprintf(w, "%-44s n=%d  p50=%s  p90=%s  p99=%s  max=%s\n", what, len(l),
		ms(l.percentile(50)), ms(l.percentile(90)), ms(l.percentile(99)), ms(l.percentile(100)))
}

// spread is the median and the range.
func (l latencies) spread() string {
	return fmt.Sprintf("%s (%s–%s)", ms(l.percentile(50)), ms(l.percentile(0)), ms(l.percentile(100)))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }
