package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/kds-io/kds/adapters/httpapi/apiclient"
	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/declaration"
	"github.com/kds-io/kds/app/topic"
)

func newBenchApplyCommand(g *globals) *cobra.Command {
	var (
		kf             kafkaFlags
		topics, rounds int
	)
	cmd := &cobra.Command{
		Use:   "apply",
		Short: "kds plan and kds apply of many topics, against Kafka's Admin API alone",
		Long: `Measures topics as code against a running kds, --rounds times, each round
followed by the same work done on Kafka's Admin API alone (kds's kadm
adapter, without MySQL, commands or approvals), so that the two are
interleaved:

  plan     kds plan of a declaration of --topics new topics
  apply    kds apply --approve of it, until every topic is active in Kafka
  replan   kds plan of it once applied (no change)
  update   kds apply of another retention.ms on every topic, until Kafka has it
  prune    kds apply --prune of a declaration of one of them, until the
           others are deleted from Kafka

Kafka alone: CreateTopics of the same topics, then their configs replaced
(64 at a time, as the topic manager does), then DeleteTopics. Prints each
round, then the median and range of each measure. The last topic of each
round is deactivated afterwards.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := errors.Join(flagAtLeast("--topics", topics, 2), flagAtLeast("--rounds", rounds, 1)); err != nil {
				return err
			}
			client, err := g.client()
			if err != nil {
				return err
			}
			kc, err := kf.config(cmd.Context(), g, client)
			if err != nil {
				return err
			}
			cluster, err := kafka.NewCluster(kc)
			if err != nil {
				return err
			}
			defer cluster.Close()
			dir, err := os.MkdirTemp("", "kds-bench-apply-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(dir)
			b := applyBench{client: client, cluster: cluster, out: cmd.OutOrStdout(), dir: dir, topics: topics,
				run: time.Now().Format("150405"), took: map[string]latencies{}}
			for round := range rounds {
				if err := b.round(cmd.Context(), round); err != nil {
					return err
				}
			}
			b.summary()
			return nil
		},
	}
	kf.register(cmd)
	cmd.Flags().IntVar(&topics, "topics", 1000, "topics declared")
	cmd.Flags().IntVar(&rounds, "rounds", 3, "rounds of kds and of Kafka alone, interleaved")
	return cmd
}

// applyBench times kds plan and kds apply against Kafka's Admin API alone.
type applyBench struct {
	client  *apiclient.Client
	cluster *kafka.Cluster
	out     io.Writer
	dir     string
	topics  int
	run     string
	took    map[string]latencies
	order   []string
}

// The measures, in the order they are printed.
const (
	measurePlan        = "kds plan, new topics"
	measureApply       = "kds apply --approve → all active"
	measureReplan      = "kds plan, no change"
	measureUpdate      = "kds apply, configs → in Kafka"
	measurePrune       = "kds apply --prune → deleted"
	measureKafkaCreate = "Kafka alone: CreateTopics"
	measureKafkaConfig = "Kafka alone: replace configs"
	measureKafkaDelete = "Kafka alone: DeleteTopics"
)

func (b *applyBench) record(measure string, d time.Duration) {
	if _, ok := b.took[measure]; !ok {
		b.order = append(b.order, measure)
	}
	b.took[measure] = append(b.took[measure], d)
	fmt.Fprintf(b.out, "  %-36s %s\n", measure+":", ms(d))
}

func (b *applyBench) round(ctx context.Context, round int) error {
	fmt.Fprintf(b.out, "round %d, %d topics\n", round+1, b.topics)
	owner := fmt.Sprintf("bench-%s-%d", b.run, round)
	names := make([]string, b.topics)
	for i := range names {
		names[i] = fmt.Sprintf("bench.%s.apply%d.%05d", b.run, round, i)
	}
	steps := []struct {
		measure   string
		retention string
		keep      int
		approve   bool
		prune     bool
		plan      int // the changes a plan must find; -1 for an apply
	}{
		{measurePlan, "86400000", len(names), false, false, len(names)},
		{measureApply, "86400000", len(names), true, false, -1},
		{measureReplan, "86400000", len(names), false, false, 0},
		{measureUpdate, "3600000", len(names), false, false, -1},
		{measurePrune, "3600000", 1, false, true, -1},
	}
	for _, s := range steps {
		path, err := b.declare(owner, names[:s.keep], s.retention)
		if err != nil {
			return err
		}
		f := declarationFlags{path: path, prune: s.prune}
		start := time.Now()
		p, err := f.plan(ctx, b.client)
		if err != nil {
			return err
		}
		if s.plan >= 0 {
			if p.Pending() != s.plan {
				return fmt.Errorf("%s: the plan has %d changes, want %d", s.measure, p.Pending(), s.plan)
			}
		} else {
			a := applier{client: b.client, out: io.Discard, approve: s.approve, wait: waitFlags{wait: 5 * time.Minute}, reason: "kds bench apply"}
			if err := a.apply(ctx, p); err != nil {
				return fmt.Errorf("%s: %w", s.measure, err)
			}
		}
		b.record(s.measure, time.Since(start))
	}
	lifecycle := lifecycleBench{client: b.client, out: io.Discard}
	if _, err := lifecycle.batch(ctx, command.DeactivateTopicType, names[:1], topic.Deleted, 0); err != nil {
		return err
	}
	return b.kafkaAlone(ctx, names)
}

// declare writes a declaration of names, owned by owner, with retention.
func (b *applyBench) declare(owner string, names []string, retention string) (string, error) {
	topics := make([]declaration.Topic, len(names))
	for i, n := range names {
		topics[i] = declaration.Topic{Name: n, Details: topic.Details{Owner: owner},
			Spec: topic.Spec{Partitions: 3, ReplicationFactor: 1, Configs: map[string]string{"retention.ms": retention}}}
	}
	path := filepath.Join(b.dir, owner+"-"+strconv.Itoa(len(names))+"-"+retention+".yaml")
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	if err := writeDeclaration(f, topics); err != nil {
		f.Close()
		return "", err
	}
	return path, f.Close()
}

// kafkaAlone does the round's work on Kafka's Admin API, with other names.
func (b *applyBench) kafkaAlone(ctx context.Context, kdsNames []string) error {
	creations := make([]command.Creation, len(kdsNames))
	names := make([]topic.Name, len(kdsNames))
	for i, n := range kdsNames {
		name, err := topic.ParseName(n + ".alone")
		if err != nil {
			return err
		}
		names[i] = name
		creations[i] = command.Creation{Name: name, Spec: topic.Spec{Partitions: 3, ReplicationFactor: 1,
			Configs: map[string]string{"retention.ms": "86400000"}}}
	}
	start := time.Now()
	if err := errors.Join(b.cluster.CreateTopics(ctx, creations)...); err != nil {
		return err
	}
	b.record(measureKafkaCreate, time.Since(start))
	start = time.Now()
	if err := b.replaceConfigs(ctx, names); err != nil {
		return err
	}
	b.record(measureKafkaConfig, time.Since(start))
	start = time.Now()
	if err := errors.Join(b.cluster.DeleteTopics(ctx, names)...); err != nil {
		return err
	}
	b.record(measureKafkaDelete, time.Since(start))
	return nil
}

func (b *applyBench) replaceConfigs(ctx context.Context, names []topic.Name) error {
	var (
		mu   sync.Mutex
		errs []error
	)
	concurrently(names, 64, func(n topic.Name) {
		if err := b.cluster.ReplaceConfigs(ctx, n, map[string]string{"retention.ms": "3600000"}); err != nil {
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		}
	})
	return errors.Join(errs...)
}

// summary prints each measure's median and range over the rounds.
func (b *applyBench) summary() {
	fmt.Fprintf(b.out, "%d topics, %d rounds: median (range)\n", b.topics, len(b.took[measurePlan]))
	for _, m := range b.order {
		l := b.took[m]
		fmt.Fprintf(b.out, "  %-36s %s\n", m+":", l.spread())
	}
}
