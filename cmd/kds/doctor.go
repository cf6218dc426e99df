package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	driver "github.com/go-sql-driver/mysql"
	"github.com/spf13/cobra"

	"github.com/kds-io/kds/adapters/httpapi/apiclient"
	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/adapters/mysql"
	"github.com/kds-io/kds/app/auth"
	"github.com/kds-io/kds/app/topic"
)

// The outcomes of a doctor check.
const (
	checkOK      = "ok"
	checkFailed  = "failed"
	checkSkipped = "skipped"
)

// doctorCheck is one line of kds doctor.
type doctorCheck struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Detail string `json:"detail"`
}

// doctorReport is kds doctor -o json.
type doctorReport struct {
	OK     bool          `json:"ok"`
	Checks []doctorCheck `json:"checks"`
}

func newDoctorCommand(g *globals) *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check this machine's kds configuration and what it points at",
		Long: `Check what this machine has configured, one line per check, and exit 1 if
anything is wrong:

  config  the configuration file and KDS_* variables load and are valid
  mysql   the database answers, takes the credentials, and has the schema
          of this kds (only with a configuration file or KDS_MYSQL_*)
  kafka   the brokers answer with the TLS and SASL settings, and kds's
          internal topics exist, with the partitions and replication
          factor a configuration file or KDS_KAFKA_INTERNAL_TOPICS_* gives;
          on a client machine, at the brokers the API names, with
          KDS_KAFKA_*, or with the token's own login where kds keeps
          Kafka's ACLs (which may read kds.events only, and which the
          bootstrap admin token has not: skipped)
  api     KDS_API_URL answers and is ready (only when it is set)
  token   KDS_TOKEN is accepted, and its role

What a machine does not configure is skipped: a producer's laptop has no
MySQL. -o json prints the same for scripts.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d := &doctor{g: g, timeout: timeout, apiSet: cmd.Flags().Changed("api-url") || os.Getenv("KDS_API_URL") != ""}
			report := d.run(cmd.Context())
			out := cmd.OutOrStdout()
			if g.output == "json" {
				if err := printJSON(out, report); err != nil {
					return err
				}
			} else {
				printDoctor(out, report)
			}
			if !report.OK {
				failed := 0
				for _, c := range report.Checks {
					if c.Status == checkFailed {
						failed++
					}
				}
				return fmt.Errorf("doctor: %d of %d checks failed", failed, len(report.Checks))
			}
			return nil
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 10*time.Second, "how long each check may take")
	return cmd
}

// doctor runs the checks in order; later ones use what earlier ones found.
type doctor struct {
	g       *globals
	timeout time.Duration
	// apiSet says whether KDS_API_URL or --api-url names an API.
	apiSet bool
	// api is the API address and token to check.
	api ClientConfig

	report doctorReport
	// cfg is the loaded configuration, when it loaded.
	cfg    Config
	cfgErr error
	path   string
	client *apiclient.Client
}

func (d *doctor) add(name, status, detail string) {
	d.report.Checks = append(d.report.Checks, doctorCheck{Name: name, Status: status, Detail: detail})
}

func (d *doctor) run(ctx context.Context) doctorReport {
	d.checkConfig()
	d.api = d.clientSettings()
	d.checkMySQL(ctx)
	d.checkKafka(ctx)
	d.checkAPI(ctx)
	d.report.OK = !slices.ContainsFunc(d.report.Checks, func(c doctorCheck) bool { return c.Status == checkFailed })
	return d.report
}

// clientSettings are the flags over the client section of the
// configuration (KDS_API_URL and KDS_TOKEN), or over those variables when
// the configuration did not load.
func (d *doctor) clientSettings() ClientConfig {
	c := d.cfg.Client
	if d.cfgErr != nil {
		c = ClientConfig{APIURL: os.Getenv("KDS_API_URL"), Token: os.Getenv("KDS_TOKEN")}
	}
	if d.g.apiURL != "" {
		c.APIURL = d.g.apiURL
	}
	if d.g.token != "" {
		c.Token = d.g.token
	}
	return c
}

func (d *doctor) checkConfig() {
	d.path = configPath(d.g.configFile)
	d.cfg, d.cfgErr = loadConfig(d.path)
	switch {
	case d.cfgErr != nil:
		d.add("config", checkFailed, d.cfgErr.Error())
	case d.path == "":
		d.add("config", checkOK, "no configuration file; defaults and KDS_* variables")
	default:
		d.add("config", checkOK, d.path)
	}
}

// anyEnv says whether a variable starting with prefix is set.
func anyEnv(prefix string) bool {
	for _, kv := range os.Environ() {
		if name, value, _ := strings.Cut(kv, "="); strings.HasPrefix(name, prefix) && value != "" {
			return true
		}
	}
	return false
}

func (d *doctor) checkMySQL(ctx context.Context) {
	switch {
	case d.path == "" && !anyEnv("KDS_MYSQL_"):
		d.add("mysql", checkSkipped, "no configuration file and no KDS_MYSQL_* variables: this machine runs no kds serve")
		return
	case d.cfgErr != nil:
		d.add("mysql", checkSkipped, "the configuration did not load")
		return
	}
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	mc := d.cfg.mysql()
	db, err := mysql.Open(ctx, mc)
	if err != nil {
		d.add("mysql", checkFailed, explainMySQL(mc, err))
		return
	}
	defer db.Close()
	v, err := mysql.ReadSchemaVersion(ctx, db)
	switch {
	case err != nil:
		d.add("mysql", checkFailed, fmt.Sprintf("%s: %v", mc.Where(), err))
	case v.Current < v.Latest:
		d.add("mysql", checkFailed, fmt.Sprintf("%s: schema version %d, this kds has %d: run kds migrate (kds serve does on start)", mc.Where(), v.Current, v.Latest))
	case v.Current > v.Latest:
		d.add("mysql", checkFailed, fmt.Sprintf("%s: schema version %d is newer than this kds knows (%d): upgrade this kds", mc.Where(), v.Current, v.Latest))
	default:
		d.add("mysql", checkOK, fmt.Sprintf("%s: schema version %d, up to date", mc.Where(), v.Current))
	}
}

// explainMySQL says what the usual failures mean and which keys to look at.
func explainMySQL(mc mysql.Config, err error) string {
	var me *driver.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1045:
			return fmt.Sprintf("%s: the server refused the user name or password (mysql.user, mysql.password): %s", mc.Where(), me.Message)
		case 1044:
			return fmt.Sprintf("%s: the user may not use the database (GRANT ALL ON %s.* TO ...): %s", mc.Where(), mc.Database, me.Message)
		case 1049:
			return fmt.Sprintf("%s: the database does not exist (kds migrate --create-database creates it)", mc.Where())
		}
	}
	return err.Error()
}

func (d *doctor) checkKafka(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	var (
		kc kafka.Config
		// ownBrokers: this machine names its brokers rather than asking the API.
		ownBrokers = d.path != "" || os.Getenv("KDS_KAFKA_BROKERS") != ""
		// internal are kds's topics to look at: a token's own Kafka login
		// may read only kds.events, the one the content commands follow.
		internal = topic.InternalTopics
	)
	switch {
	case ownBrokers && d.cfgErr != nil:
		d.add("kafka", checkSkipped, "the configuration did not load")
		return
	case ownBrokers:
		kc = d.cfg.kafka()
	case d.apiSet && d.api.Token != "":
		// A client machine: the brokers the API names, with the TLS and
		// SASL settings of the content commands.
		client, err := apiclient.New(d.api.APIURL, d.api.Token)
		own := false
		if err == nil {
			kc, own, err = (&kafkaFlags{}).login(ctx, d.g, client)
		}
		if err != nil && isBootstrapToken(ctx, client) {
			d.add("kafka", checkSkipped, "the bootstrap admin token has no Kafka login of its own where kds keeps Kafka's ACLs: "+
				"check with a token made by kds token create")
			return
		}
		if err != nil {
			d.add("kafka", checkFailed, err.Error())
			return
		}
		if own {
			internal = []string{topic.EventsTopic}
		}
	default:
		d.add("kafka", checkSkipped, "no configuration file, no KDS_KAFKA_BROKERS, and no API to ask (KDS_API_URL and KDS_TOKEN)")
		return
	}
	cluster, err := kafka.NewCluster(kc)
	if err != nil {
		d.add("kafka", checkFailed, err.Error())
		return
	}
	defer cluster.Close()
	in, err := cluster.Inspect(ctx, internal)
	if err != nil {
		d.add("kafka", checkFailed, err.Error())
		return
	}
	// The layout is compared only with one this machine was given: all of
	// it by a configuration file, else each key by its variable. The
	// built-in defaults say nothing about a cluster kds serve set up
	// elsewhere.
	given := func(env string) bool { return d.cfgErr == nil && (d.path != "" || os.Getenv(env) != "") }
	partitionsGiven := given("KDS_KAFKA_INTERNAL_TOPICS_PARTITIONS")
	replicationGiven := given("KDS_KAFKA_INTERNAL_TOPICS_REPLICATION_FACTOR")
	want := d.cfg.Kafka.InternalTopics
	var problems, layouts []string
	for _, name := range internal {
		l, ok := in.Topics[name]
		if !ok {
			problems = append(problems, name+" is missing (kds serve creates it on start)")
			continue
		}
		layouts = append(layouts, fmt.Sprintf("%s %d partitions, replication factor %d", name, l.Partitions, l.ReplicationFactor))
		if partitionsGiven && l.Partitions != want.Partitions {
			problems = append(problems, fmt.Sprintf("%s has %d partitions, kafka.internal_topics.partitions says %d", name, l.Partitions, want.Partitions))
		}
		if replicationGiven && l.ReplicationFactor != want.ReplicationFactor {
			problems = append(problems, fmt.Sprintf("%s has replication factor %d, kafka.internal_topics.replication_factor says %d", name, l.ReplicationFactor, want.ReplicationFactor))
		}
	}
	if replicationGiven && int(want.ReplicationFactor) > in.Brokers {
		problems = append(problems, fmt.Sprintf("kafka.internal_topics.replication_factor %d is more than the %d broker(s)", want.ReplicationFactor, in.Brokers))
	}
	brokers := fmt.Sprintf("%d broker", in.Brokers)
	if in.Brokers != 1 {
		brokers += "s"
	}
	if len(problems) > 0 {
		d.add("kafka", checkFailed, fmt.Sprintf("%s: %s; %s", kc.Where(), brokers, strings.Join(problems, "; ")))
		return
	}
	d.add("kafka", checkOK, fmt.Sprintf("%s: %s; %s", kc.Where(), brokers, strings.Join(layouts, "; ")))
}

func (d *doctor) checkAPI(ctx context.Context) {
	if !d.apiSet {
		d.add("api", checkSkipped, "KDS_API_URL is not set")
		d.add("token", checkSkipped, "no API to check it with")
		return
	}
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	client, err := apiclient.New(d.api.APIURL, d.api.Token)
	if err != nil {
		d.add("api", checkFailed, err.Error())
		d.add("token", checkSkipped, "no API to check it with")
		return
	}
	rd, err := client.Ready(ctx)
	switch {
	case err != nil:
		d.add("api", checkFailed, err.Error())
		d.add("token", checkSkipped, "no API to check it with")
		return
	case !rd.Ready:
		var bad []string
		for _, name := range slices.Sorted(maps.Keys(rd.Checks)) {
			if rd.Checks[name] != "ok" {
				bad = append(bad, name+": "+rd.Checks[name])
			}
		}
		d.add("api", checkFailed, fmt.Sprintf("%s is not ready: %s", client.URL(), strings.Join(bad, "; ")))
	default:
		d.add("api", checkOK, client.URL()+" is ready")
	}
	if d.api.Token == "" {
		d.add("token", checkSkipped, "KDS_TOKEN is not set")
		return
	}
	who, err := client.Whoami(ctx)
	var apiErr *apiclient.APIError
	switch {
	case errors.As(err, &apiErr) && apiErr.Status == http.StatusUnauthorized:
		d.add("token", checkFailed, "the API refused the token (KDS_TOKEN or --token): "+apiErr.Message)
	case err != nil:
		d.add("token", checkFailed, err.Error())
	default:
		d.add("token", checkOK, fmt.Sprintf("%q, role %s", who.Name, who.Role))
	}
}

// printDoctor writes one line per check: its name, ok, failed or skipped,
// and what it found.
func printDoctor(w io.Writer, r doctorReport) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, c := range r.Checks {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", c.Name, c.Status, visible(c.Detail))
	}
	_ = tw.Flush()
}

// isBootstrapToken says whether client's token is the bootstrap admin
// token, the one token named admin.
func isBootstrapToken(ctx context.Context, client *apiclient.Client) bool {
	if client == nil {
		return false
	}
	w, err := client.Whoami(ctx)
	return err == nil && w.Name == auth.BootstrapAdminName
}
