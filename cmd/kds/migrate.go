package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kds-io/kds/adapters/mysql"
)

func newMigrateCommand(g *globals) *cobra.Command {
	var createDatabase bool
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Create or update kds's tables in MySQL",
		Long: `Apply kds's schema to the configured MySQL database. kds serve and kds dev
do this on start as well; several processes may migrate at once.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(configPath(g.configFile))
			if err != nil {
				return err
			}
			ctx, log := cmd.Context(), newLogger(cfg.Log)
			if createDatabase {
				if err := mysql.CreateDatabase(ctx, cfg.mysql()); err != nil {
					return err
				}
			}
			db, err := mysql.Open(ctx, cfg.mysql())
			if err != nil {
				return err
			}
			defer db.Close()
			if err := mysql.Migrate(ctx, db, log); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "schema up to date in %s\n", cfg.mysql().Where())
			return nil
		},
	}
	cmd.Flags().BoolVar(&createDatabase, "create-database", false, "create the database first when it does not exist")
	return cmd
}
