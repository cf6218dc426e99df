package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kds-io/kds/adapters/httpapi/apiclient"
	"github.com/kds-io/kds/app/declaration"
	"github.com/kds-io/kds/app/topic"
)

// changesPendingError ends kds plan when applying would change something:
// kds exits 3 for it, so that a CI job can tell "changes" (3) from "none"
// (0), an error (1) and a usage error (2).
type changesPendingError struct{ n int }

func (e *changesPendingError) Error() string {
	return fmt.Sprintf("%d change(s) to apply", e.n)
}

// declarationFlags are the flags plan and apply share.
type declarationFlags struct {
	path  string
	prune bool
}

func (f *declarationFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&f.path, "file", "f", "", "the declaration: a YAML file, or a directory of them (configs/topics.schema.json)")
	cmd.Flags().BoolVar(&f.prune, "prune", false, "end the declared owners' topics that the declaration no longer has: deactivate active ones, reject pending ones")
}

// plan reads the declaration and compares it with kds's topics.
func (f *declarationFlags) plan(ctx context.Context, client *apiclient.Client) (declaration.Plan, error) {
	if f.path == "" {
		return declaration.Plan{}, &usageError{msg: "-f PATH is required: the declaration of topics"}
	}
	d, err := readDeclaration(f.path)
	if err != nil {
		return declaration.Plan{}, err
	}
	// Every Kafka version's configs: the API, which knows the version,
	// refuses the others when the changes are applied.
	if err := d.Validate(topic.Limits{}); err != nil {
		return declaration.Plan{}, err
	}
	current, err := client.Topics(ctx, "")
	if err != nil {
		return declaration.Plan{}, err
	}
	return declaration.Compare(d, current, declaration.Options{Prune: f.prune}), nil
}

func newPlanCommand(g *globals) *cobra.Command {
	var f declarationFlags
	cmd := &cobra.Command{
		Use:   "plan -f PATH",
		Short: "Show what applying a declaration of topics would change",
		Long: `Compare a declaration of topics (a YAML file, or a directory of them; see
configs/topics.schema.json and configs/topics.example.yaml) with kds's
topics and show, per topic, what kds apply would do: request a new topic,
update an active one (more partitions, other configs, owner, description),
nothing, or why it cannot (fewer partitions, another replication factor,
a topic still pending with another spec). With --prune, the declared
owners' topics that the declaration no longer has are ended.

Exit status: 0 nothing to change, 3 changes to apply, 1 an error or a
change that cannot be made, 2 a usage error. Any token that can read may
plan.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, err := g.client()
			if err != nil {
				return err
			}
			p, err := f.plan(cmd.Context(), client)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if g.output == "json" {
				if err := printJSON(out, p); err != nil {
					return err
				}
			} else {
				printPlan(out, p)
			}
			return planOutcome(p)
		},
	}
	f.register(cmd)
	return cmd
}

// planOutcome is kds plan's error for p: refused changes, changes to
// apply, or none.
func planOutcome(p declaration.Plan) error {
	if r := p.Refused(); len(r) > 0 {
		return &reportedError{fmt.Sprintf("%d change(s) cannot be made: change the declaration", len(r))}
	}
	if n := p.Pending(); n > 0 {
		return &changesPendingError{n}
	}
	return nil
}

// planSigns mark each action in a printed plan.
var planSigns = map[declaration.Action]string{
	declaration.Request: "+", declaration.Update: "~", declaration.Deactivate: "-", declaration.Reject: "-", declaration.Refuse: "!",
}

// printPlan shows every change but the topics kept as they are, which it
// counts.
func printPlan(w io.Writer, p declaration.Plan) {
	counts := map[declaration.Action]int{}
	var rows [][]string
	for _, c := range p.Changes {
		counts[c.Action]++
		if c.Action == declaration.Keep {
			continue
		}
		why := strings.Join(c.What, "; ")
		if c.Reason != "" {
			why = c.Reason
		}
		rows = append(rows, []string{planSigns[c.Action] + " " + string(c.Action), c.Topic, why, c.Source})
	}
	if len(rows) > 0 {
		_ = printTable(w, []string{"ACTION", "TOPIC", "WHAT", "DECLARED AT"}, rows)
	}
	fmt.Fprintf(w, "Plan: %d to request, %d to update, %d to end, %d refused, %d as declared.\n",
		counts[declaration.Request], counts[declaration.Update], counts[declaration.Deactivate]+counts[declaration.Reject],
		counts[declaration.Refuse], counts[declaration.Keep])
}
