package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kds-io/kds/adapters/embedded"
)

func newBrokerCommand() *cobra.Command {
	var c embedded.Config
	cmd := &cobra.Command{
		Use:   "broker",
		Short: "Run only the embedded Kafka-protocol broker",
		Long: `Run an in-process cluster that speaks the Kafka protocol, for trying kds
across several processes and for tests. It keeps data in memory unless
--data-dir is set. Real deployments point kafka.brokers at real Kafka.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, err := embedded.Start(c)
			if err != nil {
				return err
			}
			defer b.Close()
			fmt.Fprintf(cmd.OutOrStdout(), "embedded Kafka listening on %s\n", strings.Join(b.Addrs(), ","))
			<-cmd.Context().Done()
			return nil
		},
	}
	cmd.Flags().StringVar(&c.Addr, "addr", "127.0.0.1:9092", "address of the first broker; others take the next ports")
	cmd.Flags().IntVar(&c.Brokers, "brokers", 1, "number of brokers")
	cmd.Flags().StringVar(&c.DataDir, "data-dir", "", "keep the cluster's data in this directory across restarts")
	return cmd
}
