// Command kds runs and drives kds: governed, self-service Kafka topics.
// See README.md for the commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	root := newRootCommand()
	reportUsageErrors(root)
	err := root.ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "kds:", visibleLines(err.Error()))
		var (
			usage   *usageError
			pending *changesPendingError
		)
		switch {
		case errors.As(err, &usage):
			os.Exit(2)
		case errors.As(err, &pending):
			os.Exit(3)
		}
		os.Exit(1)
	}
}

// reportUsageErrors makes command lines that cobra cannot make sense of
// usage errors, so that kds exits 2 for them as it does for bad flags: a
// wrong number of arguments, and an unknown verb, which cobra would
// otherwise answer with the help text and success (`kds topic aprove x`
// exiting 0).
func reportUsageErrors(cmd *cobra.Command) {
	for _, c := range cmd.Commands() {
		reportUsageErrors(c)
	}
	if cmd.HasSubCommands() {
		cmd.Args = unknownVerb
		if !cmd.Runnable() {
			cmd.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
		}
		return
	}
	if check := cmd.Args; check != nil {
		cmd.Args = func(c *cobra.Command, args []string) error {
			if err := check(c, args); err != nil {
				return &usageError{msg: err.Error()}
			}
			return nil
		}
	}
}

// unknownVerb refuses arguments to a command that only groups verbs,
// except help, which its RunE shows.
func unknownVerb(cmd *cobra.Command, args []string) error {
	if len(args) == 0 || args[0] == "help" {
		return nil
	}
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2 // cobra's default for its own suggestions
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, " or ") + "?"
	}
	return &usageError{msg: msg}
}
