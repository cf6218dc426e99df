package main

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/viper"

	"github.com/kds-io/kds/adapters/httpapi"
	"github.com/kds-io/kds/adapters/httpapi/authn"
	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/adapters/mysql"
	"github.com/kds-io/kds/app/access"
	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/topic"
	"github.com/kds-io/kds/cmd/kds/internal/service"
	"github.com/kds-io/kds/configs"
	"github.com/kds-io/kds/handlers"
)

// Config is configs/kds.yaml; see that file for what each key means.
type Config struct {
	Kafka        KafkaConfig        `mapstructure:"kafka"`
	MySQL        MySQLConfig        `mapstructure:"mysql"`
	Server       ServerConfig       `mapstructure:"server"`
	Auth         AuthConfig         `mapstructure:"auth"`
	Topics       TopicsConfig       `mapstructure:"topics"`
	Outbox       OutboxConfig       `mapstructure:"outbox"`
	TopicManager TopicManagerConfig `mapstructure:"topic_manager"`
	Handlers     HandlersConfig     `mapstructure:"handlers"`
	Security     SecurityConfig     `mapstructure:"security"`
	Log          LogConfig          `mapstructure:"log"`
	Client       ClientConfig       `mapstructure:"client"`
	Dev          DevConfig          `mapstructure:"dev"`

	// file is the configuration file loaded, if any.
	file string
}

// KafkaConfig is the kafka section.
type KafkaConfig struct {
	Brokers        []string             `mapstructure:"brokers"`
	ClientID       string               `mapstructure:"client_id"`
	Version        string               `mapstructure:"version"`
	DialTimeout    time.Duration        `mapstructure:"dial_timeout"`
	RequestTimeout time.Duration        `mapstructure:"request_timeout"`
	InternalTopics InternalTopicsConfig `mapstructure:"internal_topics"`
	TLS            KafkaTLSConfig       `mapstructure:"tls"`
	SASL           KafkaSASLConfig      `mapstructure:"sasl"`
	ManageACLs     bool                 `mapstructure:"manage_acls"`
	ACLPrincipals  []string             `mapstructure:"acl_principals"`
	ConsumerGroups ConsumerGroupsConfig `mapstructure:"consumer_groups"`
	Producer       KafkaProducerConfig  `mapstructure:"producer"`
}

// KafkaProducerConfig is kafka.producer.
type KafkaProducerConfig struct {
	Compression string `mapstructure:"compression"`
}

// ConsumerGroupsConfig is kafka.consumer_groups.
type ConsumerGroupsConfig struct {
	StaticMembership  bool          `mapstructure:"static_membership"`
	InstanceID        string        `mapstructure:"instance_id"`
	SessionTimeout    time.Duration `mapstructure:"session_timeout"`
	HeartbeatInterval time.Duration `mapstructure:"heartbeat_interval"`
	RebalanceTimeout  time.Duration `mapstructure:"rebalance_timeout"`
}

// KafkaTLSConfig is kafka.tls.
type KafkaTLSConfig struct {
	Enabled            bool   `mapstructure:"enabled"`
	CAFile             string `mapstructure:"ca_file"`
	CertFile           string `mapstructure:"cert_file"`
	KeyFile            string `mapstructure:"key_file"`
	InsecureSkipVerify bool   `mapstructure:"insecure_skip_verify"`
}

// KafkaSASLConfig is kafka.sasl.
type KafkaSASLConfig struct {
	Mechanism string `mapstructure:"mechanism"`
	Username  string `mapstructure:"username"`
	Password  string `mapstructure:"password"`
}

// InternalTopicsConfig is kafka.internal_topics.
type InternalTopicsConfig struct {
	Partitions        int32 `mapstructure:"partitions"`
	ReplicationFactor int16 `mapstructure:"replication_factor"`
}

// MySQLConfig is the mysql section.
type MySQLConfig struct {
	Host            string        `mapstructure:"host"`
	Port            int           `mapstructure:"port"`
	User            string        `mapstructure:"user"`
	Password        string        `mapstructure:"password"`
	Database        string        `mapstructure:"database"`
	TLS             string        `mapstructure:"tls"`
	TLSCAFile       string        `mapstructure:"tls_ca_file"`
	TLSCertFile     string        `mapstructure:"tls_cert_file"`
	TLSKeyFile      string        `mapstructure:"tls_key_file"`
	MaxOpenConns    int           `mapstructure:"max_open_conns"`
	ConnectTimeout  time.Duration `mapstructure:"connect_timeout"`
	ConnMaxLifetime time.Duration `mapstructure:"conn_max_lifetime"`
}

// ServerConfig is the server section.
type ServerConfig struct {
	HTTPAddr               string        `mapstructure:"http_addr"`
	Roles                  []string      `mapstructure:"roles"`
	ShutdownTimeout        time.Duration `mapstructure:"shutdown_timeout"`
	AdvertisedKafkaBrokers []string      `mapstructure:"advertised_kafka_brokers"`
	SecureCookies          bool          `mapstructure:"secure_cookies"`
	AllowedHosts           []string      `mapstructure:"allowed_hosts"`
	UsageInterval          time.Duration `mapstructure:"usage_interval"`
}

// AuthConfig is the auth section.
type AuthConfig struct {
	BootstrapAdminToken string        `mapstructure:"bootstrap_admin_token"`
	MetricsToken        string        `mapstructure:"metrics_token"`
	MaxFailures         int           `mapstructure:"max_failures"`
	FailureWindow       time.Duration `mapstructure:"failure_window"`
	Lockout             time.Duration `mapstructure:"lockout"`
}

// TopicsConfig is the topics section.
type TopicsConfig struct {
	DefaultPartitions        int32 `mapstructure:"default_partitions"`
	DefaultReplicationFactor int16 `mapstructure:"default_replication_factor"`
	MaxPartitions            int32 `mapstructure:"max_partitions"`
	MaxReplicationFactor     int16 `mapstructure:"max_replication_factor"`
}

// OutboxConfig is the outbox section.
type OutboxConfig struct {
	PollInterval  time.Duration `mapstructure:"poll_interval"`
	BatchSize     int           `mapstructure:"batch_size"`
	Retention     time.Duration `mapstructure:"retention"`
	PruneInterval time.Duration `mapstructure:"prune_interval"`
	StuckAfter    time.Duration `mapstructure:"stuck_after"`
}

// TopicManagerConfig is the topic_manager section.
type TopicManagerConfig struct {
	ReconcileInterval  time.Duration `mapstructure:"reconcile_interval"`
	SyncOrphanedTopics bool          `mapstructure:"sync_orphaned_topics"`
	DetachTimeout      time.Duration `mapstructure:"detach_timeout"`
}

// HandlersConfig is the handlers section.
type HandlersConfig struct {
	MaxRetries      int           `mapstructure:"max_retries"`
	InitialInterval time.Duration `mapstructure:"initial_interval"`
	MaxInterval     time.Duration `mapstructure:"max_interval"`
	Timeout         time.Duration `mapstructure:"timeout"`
}

// ClientConfig is the client section: what the CLI clients talk to.
type ClientConfig struct {
	APIURL string `mapstructure:"api_url"`
	Token  string `mapstructure:"token"`
}

// DevConfig is the dev section: what only kds dev reads.
type DevConfig struct {
	StateDir string `mapstructure:"state_dir"`
}

// SecurityConfig is the security section.
type SecurityConfig struct {
	MessageKeys []string `mapstructure:"message_keys"`
}

// LogConfig is the log section.
type LogConfig struct {
	Level  string `mapstructure:"level"`
	Format string `mapstructure:"format"`
}

// envAliases are environment variables accepted besides the KDS_ + key
// path ones.
var envAliases = map[string]string{
	"auth.bootstrap_admin_token": "KDS_BOOTSTRAP_ADMIN_TOKEN",
	"client.api_url":             "KDS_API_URL",
	"client.token":               "KDS_TOKEN",
}

// loadConfig reads the defaults from configs/kds.yaml, then the file at
// path when there is one, then the environment.
func loadConfig(path string) (Config, error) {
	v := viper.New()
	v.SetConfigType("yaml")
	if err := v.ReadConfig(bytes.NewReader(configs.Default)); err != nil {
		return Config{}, fmt.Errorf("built-in defaults: %w", err)
	}
	if path != "" {
		user := viper.New()
		user.SetConfigFile(path)
		user.SetConfigType("yaml")
		if err := user.ReadInConfig(); err != nil {
			return Config{}, fmt.Errorf("config file %s: %w", path, err)
		}
		settings := user.AllSettings()
		if err := errors.Join(notSections(v.AllSettings(), settings, "")...); err != nil {
			return Config{}, fmt.Errorf("config file %s: %w", path, err)
		}
		if err := v.MergeConfigMap(settings); err != nil {
			return Config{}, fmt.Errorf("config file %s: %w", path, err)
		}
	}
	v.SetEnvPrefix("KDS")
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()
	for key, alias := range envAliases {
		if err := v.BindEnv(key, "KDS_"+strings.ToUpper(strings.ReplaceAll(key, ".", "_")), alias); err != nil {
			return Config{}, err
		}
	}
	var c Config
	if err := v.UnmarshalExact(&c); err != nil {
		return Config{}, fmt.Errorf("config%s: %w", describeSource(path), err)
	}
	// "host1:9092, host2:9092" in an environment variable means two brokers.
	c.Kafka.Brokers = trimAll(c.Kafka.Brokers)
	c.Kafka.ACLPrincipals = trimAll(c.Kafka.ACLPrincipals)
	c.Server.Roles = trimAll(c.Server.Roles)
	c.Security.MessageKeys = trimAll(c.Security.MessageKeys)
	c.Server.AllowedHosts = trimAll(c.Server.AllowedHosts)
	c.file = path
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("config%s: %w", describeSource(path), err)
	}
	return c, nil
}

// notSections names the keys a file gives a single value where the
// defaults have a section of keys, such as "kafka: host:9092". Viper's
// merge drops such values without a word, so they would be ignored
// rather than refused. An empty section keeps its defaults.
func notSections(defaults, file map[string]any, prefix string) []error {
	var errs []error
	for _, k := range slices.Sorted(maps.Keys(file)) {
		fv := file[k]
		section, ok := defaults[k].(map[string]any)
		if !ok {
			continue
		}
		switch fv := fv.(type) {
		case nil:
		case map[string]any:
			errs = append(errs, notSections(section, fv, prefix+k+".")...)
		default:
			errs = append(errs, fmt.Errorf("%s%s: want a section of keys, got a single value", prefix, k))
		}
	}
	return errs
}

func trimAll(s []string) []string {
	out := make([]string, 0, len(s))
	for _, v := range s {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func describeSource(path string) string {
	if path == "" {
		return " (defaults and environment)"
	}
	return " " + path
}

// setHere reports whether this machine's configuration gives the key that
// the environment variable env sets: a configuration file, which gives
// every key, or the variable itself. The built-in defaults say nothing
// about a cluster or an API set up elsewhere.
func (c Config) setHere(env string) bool { return c.file != "" || os.Getenv(env) != "" }

// configPath is the file named by --config or KDS_CONFIG, else ./kds.yaml
// or /etc/kds/kds.yaml when present.
func configPath(flag string) string {
	if flag != "" {
		return flag
	}
	if env := os.Getenv("KDS_CONFIG"); env != "" {
		return env
	}
	for _, p := range []string{"kds.yaml", "/etc/kds/kds.yaml"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// Validate reports every problem at once, naming the keys.
func (c Config) Validate() error {
	errs := []error{c.kafka().Validate(), c.mysql().Validate()}
	if len(c.Server.Roles) == 0 {
		errs = append(errs, fmt.Errorf("server.roles is empty (want some of %s)", strings.Join(service.AllRoles, ", ")))
	}
	for _, r := range c.Server.Roles {
		if !slices.Contains(service.AllRoles, r) {
			errs = append(errs, fmt.Errorf("server.roles: unknown role %q (want %s)", r, strings.Join(service.AllRoles, ", ")))
		}
	}
	if c.Server.HTTPAddr == "" {
		errs = append(errs, errors.New("server.http_addr is empty"))
	}
	if c.Server.UsageInterval <= 0 {
		errs = append(errs, errors.New("server.usage_interval must be positive"))
	}
	for _, h := range c.Server.AllowedHosts {
		if strings.ContainsAny(h, ":/ ") {
			errs = append(errs, fmt.Errorf("server.allowed_hosts: %q: want a host name, without scheme or port", h))
		}
	}
	if c.Auth.MaxFailures < 0 || (c.Auth.MaxFailures > 0 && (c.Auth.FailureWindow <= 0 || c.Auth.Lockout <= 0)) {
		errs = append(errs, errors.New("auth.max_failures must not be negative, and when it is not 0, auth.failure_window and auth.lockout must be positive"))
	}
	if c.Topics.DefaultPartitions < 1 || c.Topics.DefaultReplicationFactor < 1 {
		errs = append(errs, errors.New("topics.default_partitions and topics.default_replication_factor must be at least 1"))
	}
	if c.Kafka.InternalTopics.Partitions < 1 || c.Kafka.InternalTopics.ReplicationFactor < 1 {
		errs = append(errs, errors.New("kafka.internal_topics.partitions and replication_factor must be at least 1"))
	}
	if c.Outbox.PollInterval <= 0 || c.Outbox.BatchSize < 1 || c.Outbox.PruneInterval <= 0 || c.Outbox.Retention <= 0 || c.Outbox.StuckAfter <= 0 {
		errs = append(errs, errors.New("outbox.poll_interval, batch_size, retention, prune_interval and stuck_after must be positive"))
	}
	if c.TopicManager.ReconcileInterval <= 0 || c.TopicManager.DetachTimeout <= 0 {
		errs = append(errs, errors.New("topic_manager.reconcile_interval and detach_timeout must be positive"))
	}
	if c.Handlers.MaxRetries < 0 || c.Handlers.InitialInterval <= 0 || c.Handlers.MaxInterval <= 0 || c.Handlers.Timeout <= 0 {
		errs = append(errs, errors.New("handlers.max_retries must not be negative, and the intervals and timeout must be positive"))
	}
	if _, err := access.ParsePrincipals(c.Kafka.ACLPrincipals); err != nil {
		errs = append(errs, err)
	}
	if _, err := kafka.ParseMessageKeys(c.Security.MessageKeys); err != nil {
		errs = append(errs, err)
	}
	if _, err := parseLevel(c.Log.Level); err != nil {
		errs = append(errs, err)
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		errs = append(errs, fmt.Errorf("log.format %q: want text or json", c.Log.Format))
	}
	return errors.Join(errs...)
}

func (c Config) kafka() kafka.Config {
	k := c.Kafka
	return kafka.Config{Brokers: k.Brokers, ClientID: k.ClientID, Version: k.Version,
		DialTimeout: k.DialTimeout, RequestTimeout: k.RequestTimeout,
		TLS: kafka.TLSConfig{Enabled: k.TLS.Enabled, CAFile: k.TLS.CAFile, CertFile: k.TLS.CertFile, KeyFile: k.TLS.KeyFile,
			InsecureSkipVerify: k.TLS.InsecureSkipVerify},
		SASL:   kafka.SASLConfig{Mechanism: k.SASL.Mechanism, Username: k.SASL.Username, Password: k.SASL.Password},
		Groups: k.ConsumerGroups.kafka(), Compression: k.Producer.Compression}
}

func (g ConsumerGroupsConfig) kafka() kafka.GroupConfig {
	return kafka.GroupConfig{StaticMembership: g.StaticMembership, InstanceID: g.InstanceID,
		SessionTimeout: g.SessionTimeout, HeartbeatInterval: g.HeartbeatInterval, RebalanceTimeout: g.RebalanceTimeout}
}

func (c Config) mysql() mysql.Config {
	m := c.MySQL
	return mysql.Config{Host: m.Host, Port: m.Port, User: m.User, Password: m.Password, Database: m.Database, TLS: m.TLS,
		TLSCAFile: m.TLSCAFile, TLSCertFile: m.TLSCertFile, TLSKeyFile: m.TLSKeyFile,
		MaxOpenConns: m.MaxOpenConns, ConnectTimeout: m.ConnectTimeout, ConnMaxLifetime: m.ConnMaxLifetime}
}

// service is what kds serve and kds dev run with. It needs
// security.message_keys, and says so before anything connects.
func (c Config) service() (service.Config, error) {
	signer, err := c.signer()
	if err != nil {
		return service.Config{}, err
	}
	acls, err := c.access()
	if err != nil {
		return service.Config{}, err
	}
	return service.Config{
		Kafka:                  c.kafka(),
		InternalTopics:         topic.Spec{Partitions: c.Kafka.InternalTopics.Partitions, ReplicationFactor: c.Kafka.InternalTopics.ReplicationFactor},
		MySQL:                  c.mysql(),
		Roles:                  c.Server.Roles,
		HTTPAddr:               c.Server.HTTPAddr,
		AdvertisedKafkaBrokers: c.Server.AdvertisedKafkaBrokers,
		ShutdownTimeout:        c.Server.ShutdownTimeout,
		Outbox: service.OutboxConfig{PollInterval: c.Outbox.PollInterval, BatchSize: c.Outbox.BatchSize, Retention: c.Outbox.Retention,
			PruneInterval: c.Outbox.PruneInterval, StuckAfter: c.Outbox.StuckAfter},
		TopicManager: service.TopicManagerConfig{ReconcileInterval: c.TopicManager.ReconcileInterval,
			SyncOrphanedTopics: c.TopicManager.SyncOrphanedTopics, DetachTimeout: c.TopicManager.DetachTimeout},
		Retry: handlers.RetryConfig{MaxRetries: c.Handlers.MaxRetries, InitialInterval: c.Handlers.InitialInterval,
			MaxInterval: c.Handlers.MaxInterval, HandlerTimeout: c.Handlers.Timeout},
		Policy: command.Policy{
			DefaultPartitions:        c.Topics.DefaultPartitions,
			DefaultReplicationFactor: c.Topics.DefaultReplicationFactor,
			Limits: topic.Limits{MaxPartitions: c.Topics.MaxPartitions, MaxReplicationFactor: c.Topics.MaxReplicationFactor,
				KafkaVersion: cmp.Or(c.Kafka.Version, kafka.DefaultVersion)},
		},
		BootstrapAdminToken: c.Auth.BootstrapAdminToken,
		Signer:              signer,
		Access:              acls,
		API: []httpapi.Option{httpapi.WithAuthLimit(c.authLimit()), httpapi.WithSecureCookies(c.Server.SecureCookies),
			httpapi.WithUsageInterval(c.Server.UsageInterval),
			httpapi.WithAllowedHosts(c.Server.AllowedHosts), httpapi.WithMetricsToken(c.Auth.MetricsToken)},
	}, nil
}

// access is how kds keeps Kafka's ACLs, with kafka.manage_acls; nil
// without. SCRAM passwords are derived from the signing message key, so
// every kds serve of an installation derives the same.
func (c Config) access() (*access.KeeperConfig, error) {
	if !c.Kafka.ManageACLs {
		return nil, nil
	}
	principals, err := access.ParsePrincipals(c.Kafka.ACLPrincipals)
	if err != nil {
		return nil, err
	}
	keys, err := kafka.ParseMessageKeys(c.Security.MessageKeys)
	if err != nil || len(keys) == 0 {
		return nil, errors.New("kafka.manage_acls needs security.message_keys: SCRAM passwords are derived from the first key")
	}
	mechanism := kafka.SASLScramSHA512
	if strings.EqualFold(c.Kafka.SASL.Mechanism, kafka.SASLScramSHA256) {
		mechanism = kafka.SASLScramSHA256
	}
	k := access.KeeperConfig{Principals: principals, Secret: keys[0].Secret, Mechanism: mechanism, ServiceUser: c.Kafka.SASL.Username}
	return &k, k.Validate()
}

func (c Config) authLimit() authn.Limit {
	return authn.Limit{MaxFailures: c.Auth.MaxFailures, Window: c.Auth.FailureWindow, Lockout: c.Auth.Lockout}
}

// signer signs and verifies kds's messages with security.message_keys;
// kds serve has none to run with until they are set.
func (c Config) signer() (*kafka.Signer, error) {
	keys, err := kafka.ParseMessageKeys(c.Security.MessageKeys) // checked by Validate
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, errors.New("security.message_keys is empty: kds serve signs every command and event it publishes, and acts only on those " +
			"signed, with a key that every kds serve of this installation shares; set KDS_SECURITY_MESSAGE_KEYS=ID:SECRET, " +
			"such as key1:$(openssl rand -base64 32)")
	}
	return kafka.NewSigner(keys, mysql.KeyMetadata)
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("log.level %q: want debug, info, warn or error", s)
	}
	return l, nil
}

func newLogger(c LogConfig) *slog.Logger {
	level, _ := parseLevel(c.Level) // checked by Validate
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}
