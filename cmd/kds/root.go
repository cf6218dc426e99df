package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
)

// globals are the flags every command shares.
type globals struct {
	configFile string
	// apiURL and token, when set, override the configuration's client
	// section (KDS_API_URL and KDS_TOKEN).
	apiURL string
	token  string
	output string
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
	pf.StringVar(&g.configFile, "config", "", "configuration file (default $KDS_CONFIG; serve, dev, migrate and doctor also look for ./kds.yaml and /etc/kds/kds.yaml)")
	pf.StringVar(&g.apiURL, "api-url", "", "kds API address (default $KDS_API_URL, else client.api_url: http://127.0.0.1:8080)")
	pf.StringVar(&g.token, "token", "", "API token (default $KDS_TOKEN, else client.token)")
	pf.StringVarP(&g.output, "output", "o", "table", "output format: table or json")

	root.AddCommand(
		profiled(newServeCommand(g)),
		profiled(newDevCommand(g)),
		newMigrateCommand(g),
		profiled(newBrokerCommand()),
		newTopicCommand(g),
		newAdminCommand(g),
		newTokenCommand(g),
		newBenchCommand(g),
		newDoctorCommand(g),
		profiled(newSendCommand(g)),
		profiled(newConsumeCommand(g)),
		profiled(newProduceCommand(g)),
		newSubscriptionsCommand(g),
		newUnsubscribeCommand(g),
		newPoisonCommand(g),
		newPlanCommand(g),
		newApplyCommand(g),
		newExportCommand(g),
	)
	return root
}
