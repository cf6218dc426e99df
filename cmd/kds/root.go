package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

// globals are the flags every command shares.
type globals struct {
	configFile string
	apiURL     string
	token      string
	output     string
}

// usageError is a command line that does not make sense; kds exits with 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// errInterrupted is what a command that Ctrl-C (or SIGTERM) stopped before
// it finished reports, with what it did and did not do.
var errInterrupted = errors.New("interrupted")

// flagAtLeast is a usage error naming the flag when its value is below the
// least the command can work with, and nil otherwise. Commands check their
// flags before any request, so a mistake is a usage error even when what
// they would talk to is down.
func flagAtLeast[N int | int64](name string, value, least N) error {
	if value >= least {
		return nil
	}
	return &usageError{msg: fmt.Sprintf("%s must be at least %d, got %d", name, least, value)}
}

func newRootCommand() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:           "kds",
		Short:         "Governed, self-service Kafka topics and the live content that flows through them",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if g.output != "table" && g.output != "json" {
				return &usageError{msg: "--output must be table or json"}
			}
			return nil
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{msg: err.Error()} })
	pf := root.PersistentFlags()
	pf.StringVar(&g.configFile, "config", "", "configuration file for serve, dev and migrate (default $KDS_CONFIG, ./kds.yaml or /etc/kds/kds.yaml)")
	pf.StringVar(&g.apiURL, "api-url", envOr("KDS_API_URL", "http://127.0.0.1:8080"), "kds API address ($KDS_API_URL)")
	pf.StringVar(&g.token, "token", os.Getenv("KDS_TOKEN"), "API token ($KDS_TOKEN)")
	pf.StringVarP(&g.output, "output", "o", "table", "output format: table or json")

	root.AddCommand(
		newServeCommand(g),
		newDevCommand(g),
		newMigrateCommand(g),
		newBrokerCommand(),
		newTopicCommand(g),
		newAdminCommand(g),
		newTokenCommand(g),
		newBenchCommand(g),
		newDoctorCommand(g),
		newSendCommand(g),
		newConsumeCommand(g),
		newProduceCommand(g),
		newSubscriptionsCommand(g),
		newPoisonCommand(g),
	)
	return root
}

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}
