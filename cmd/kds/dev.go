package main

import (
	"cmp"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kds-io/kds/adapters/embedded"
	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/adapters/mysql"
	"github.com/kds-io/kds/app/auth"
	"github.com/kds-io/kds/cmd/kds/internal/service"
)

func newDevCommand(g *globals) *cobra.Command {
	var (
		broker         embedded.Config
		httpAddr       string
		adminToken     string
		adminTokenFile string
		kafkaSASL      string
		stateDir       string
		fresh          bool
	)
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run all of kds on this machine: an embedded Kafka broker and every serve role",
		Long: `Run everything for trying kds: an embedded Kafka-protocol broker and all
kds serve roles, with the MySQL from the configuration (the database is
created when missing). It prints the API address, the Kafka address and an
admin token, and the line to paste into another terminal. The admin token is
KDS_BOOTSTRAP_ADMIN_TOKEN or the one in --admin-token-file when given, else
the one an earlier start made up.

It keeps the embedded broker's data and the secrets it makes up (the admin
token, the key that signs its messages, a SASL password) in a state
directory, $XDG_STATE_HOME/kds/dev or ~/.local/state/kds/dev unless
dev.state_dir (KDS_DEV_STATE_DIR) or --state-dir names another, so a
restart finds its topics, their messages and the same export line; it says
what it kept. --fresh empties the state directory first; MySQL keeps its
database either way, and the topics it holds as active are created again,
empty.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(configPath(g.configFile))
			if err != nil {
				return err
			}
			ctx, log := cmd.Context(), newLogger(cfg.Log)
			if httpAddr != "" {
				cfg.Server.HTTPAddr = httpAddr
			}
			if adminTokenFile != "" && adminToken != "" {
				return &usageError{msg: "give --admin-token or --admin-token-file, not both"}
			}
			if err := mysql.CreateDatabase(ctx, cfg.mysql()); err != nil {
				return err
			}
			state, err := openDevState(cmp.Or(stateDir, cfg.Dev.StateDir), fresh)
			if err != nil {
				return err
			}
			defer state.close()
			if adminToken, err = devAdminToken(cmd, adminToken, adminTokenFile, cfg.Auth.BootstrapAdminToken, state); err != nil {
				return err
			}
			cfg.Auth.BootstrapAdminToken = adminToken
			if len(cfg.Security.MessageKeys) == 0 {
				// Only this process signs and verifies, so a key of its
				// own works with no setup; kept, so that what one run left
				// unhandled on Kafka is handled by the next.
				key, err := state.secret(devStateMessageKey, "the message key", newDevMessageKey)
				if err != nil {
					return err
				}
				cfg.Security.MessageKeys = []string{key}
			}
			var saslMadeUp bool
			if broker.SASL, saslMadeUp, err = devSASL(&cfg, kafkaSASL, state); err != nil {
				return err
			}
			if broker.ACLs, err = devACLs(&cfg, kafkaSASL != ""); err != nil {
				return err
			}
			broker.DataDir = cmp.Or(broker.DataDir, state.kafkaDir())
			b, err := embedded.Start(broker)
			if err != nil {
				return err
			}
			defer b.Close()
			cfg.Kafka.Brokers = b.Addrs()
			cfg.Kafka.TLS = KafkaTLSConfig{} // the embedded broker speaks plain text
			if err := state.countKafka(ctx, cfg.kafka()); err != nil {
				// Only what kds dev says it kept depends on it.
				log.Warn("cannot count the topics and messages the embedded broker kept", "data_dir", broker.DataDir, "err", err)
			}
			cfg.Server.Roles = service.AllRoles
			sc, err := cfg.service()
			if err != nil {
				return err
			}
			svc, err := service.Start(ctx, sc, log)
			if err != nil {
				return err
			}
			return svc.Run(ctx, func() {
				out := cmd.OutOrStdout()
				fmt.Fprintf(out, "kds dev is running (Ctrl-C stops it)\n")
				fmt.Fprintf(out, "  API and dashboard: %s\n", svc.APIURL())
				fmt.Fprintf(out, "  Kafka bootstrap:   %s\n", strings.Join(b.Addrs(), ","))
				fmt.Fprintf(out, "  MySQL:             %s\n", cfg.mysql().Where())
				fmt.Fprintf(out, "  state:             %s (--fresh starts over)\n", state.dir)
				fmt.Fprintf(out, "  kept:              %s\n", state.keptSummary())
				fmt.Fprintf(out, "  admin token:       %s\n", adminToken)
				fmt.Fprintf(out, "In another terminal:\n  export KDS_API_URL=%s KDS_TOKEN=%s\n", svc.APIURL(), adminToken)
				printDevSASL(out, cfg, saslMadeUp)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&broker.Addr, "kafka-addr", "127.0.0.1:9092", "address of the embedded broker; more brokers take the next ports")
	f.IntVar(&broker.Brokers, "kafka-brokers", 1, "number of embedded brokers")
	f.StringVar(&broker.DataDir, "kafka-data-dir", "", "keep the embedded broker's data in this directory (default: in the state directory)")
	f.StringVar(&stateDir, "state-dir", "", "keep Kafka's data and the secrets kds dev makes up in this directory (default dev.state_dir, else $XDG_STATE_HOME/kds/dev or ~/.local/state/kds/dev)")
	f.BoolVar(&fresh, "fresh", false, "empty the state directory first: no topics or messages in Kafka, a new admin token")
	f.StringVar(&httpAddr, "http-addr", "", "API address (default server.http_addr, 127.0.0.1:8080)")
	f.StringVar(&adminToken, "admin-token", "", "admin token to accept; other users of this machine see it in the process list, so prefer $KDS_BOOTSTRAP_ADMIN_TOKEN or --admin-token-file (default: the one kept in the state directory, else a new random one, printed)")
	f.StringVar(&adminTokenFile, "admin-token-file", "", "file holding the admin token to accept")
	f.StringVar(&kafkaSASL, "kafka-sasl", "", "make the embedded broker require SASL: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (default kafka.sasl.mechanism), as kafka.sasl.username (default kds) with kafka.sasl.password (default: one made up at the first start, kept in the state directory and printed), and enforce the ACLs kds keeps (kafka.manage_acls): clients log in with their own credentials from kds")
	return cmd
}

// devAdminToken is the admin token kds dev accepts: --admin-token, with a
// warning, since every user of the machine sees a process's arguments;
// the first line of --admin-token-file; the configuration's
// (KDS_BOOTSTRAP_ADMIN_TOKEN); or the one kept in the state directory,
// made up at the first start.
func devAdminToken(cmd *cobra.Command, flag, file, configured string, state *devState) (string, error) {
	switch {
	case flag != "":
		fmt.Fprintln(cmd.ErrOrStderr(), "kds dev: warning: --admin-token is visible to every user of this machine in the process list; "+
			"pass the token in KDS_BOOTSTRAP_ADMIN_TOKEN or --admin-token-file instead")
		return flag, nil
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("--admin-token-file: %w", err)
		}
		token, _, _ := strings.Cut(string(b), "\n")
		if token = strings.TrimSpace(token); token == "" {
			return "", fmt.Errorf("--admin-token-file %s: the file holds no token", file)
		}
		return token, nil
	case configured != "":
		return configured, nil
	}
	return state.secret(devStateAdminToken, "the admin token", func() (string, error) {
		token, _, err := auth.NewSecret()
		return token, err
	})
}

// newDevMessageKey is a security.message_keys entry of random bytes.
func newDevMessageKey() (string, error) {
	secret := make([]byte, kafka.MinMessageKeyBytes)
	if _, err := rand.Read(secret); err != nil {
		return "", err
	}
	return "dev:" + base64.StdEncoding.EncodeToString(secret), nil
}
