package main

import (
	"github.com/spf13/cobra"

	"github.com/kds-io/kds/cmd/kds/internal/service"
)

func newServeCommand(g *globals) *cobra.Command {
	var roles []string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the kds service: API, lifecycle handlers, topic manager and outbox forwarder",
		Long: `Run the long-running kds service. By default it runs every role; --roles
picks some, so that roles can run on different machines and several
instances can share the work:

  api            the HTTP API (and dashboard) on server.http_addr
  lifecycle      applies commands from kds.commands
  topic-manager  creates approved topics in Kafka and deletes deactivated ones
  forwarder      delivers the MySQL outbox to Kafka

Configuration comes from the file given by --config (see configs/kds.yaml)
and KDS_* environment variables.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(configPath(g.configFile))
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("roles") {
				// "api, lifecycle" names two roles, as in KDS_SERVER_ROLES.
				cfg.Server.Roles = trimAll(roles)
				if err := cfg.Validate(); err != nil {
					return err
				}
			}
			sc, err := cfg.service()
			if err != nil {
				return err
			}
			svc, err := service.Start(cmd.Context(), sc, newLogger(cfg.Log))
			if err != nil {
				return err
			}
			return svc.Run(cmd.Context(), func() {})
		},
	}
	cmd.Flags().StringSliceVar(&roles, "roles", nil, "roles to run, comma-separated (default: server.roles, which is all of them)")
	return cmd
}
