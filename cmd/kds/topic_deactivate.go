package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func newTopicDeactivateCommand(g *globals) *cobra.Command {
	var (
		reason string
		yes    bool
		w      waitFlags
	)
	cmd := &cobra.Command{
		Use:   "deactivate TOPIC...",
		Short: "Deactivate active topics; the topic manager then deletes them and their data from Kafka (admin)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, names []string) error {
			client, err := g.client()
			if err != nil {
				return err
			}
			if !yes {
				if err := confirm(cmd.InOrStdin(), cmd.ErrOrStderr(), fmt.Sprintf(
					"Deactivate %s? Producers and consumers are cut off and the data is deleted from Kafka. [y/N] ", strings.Join(names, ", "))); err != nil {
					return err
				}
			}
			return decide(cmd.Context(), client, cmd.OutOrStdout(), deactivation, names, reason, w, g.output == "json")
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why, for the audit trail")
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation (needed when not on a terminal)")
	w.register(cmd)
	return cmd
}

// confirm asks on a terminal and refuses elsewhere, where nobody can answer.
func confirm(in io.Reader, prompt io.Writer, question string) error {
	f, ok := in.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return &usageError{msg: "this deletes data: pass --yes to confirm when not on a terminal"}
	}
	fmt.Fprint(prompt, question)
	answer, _ := bufio.NewReader(in).ReadString('\n')
	if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
		return &usageError{msg: "not confirmed; nothing changed"}
	}
	return nil
}
