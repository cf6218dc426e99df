// Package kafka connects kds to Kafka: administration, offsets, bulk
// content and the keyed subscriber of kds's own handlers with franz-go
// (kadm and kgo), and Watermill's other publishers and subscribers through
// watermill-kafka (Sarama).
package kafka

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kversion"
)

// DefaultVersion is the Kafka protocol version kds speaks unless told
// otherwise: Kafka 4 dropped the versions older than 2.1, and 2.8 is
// understood from Kafka 2.8 to 4.x.
const DefaultVersion = "2.8.0"

// Config says where Kafka is and how to talk to it.
type Config struct {
	Brokers  []string
	ClientID string
	// Version is the Kafka protocol version to speak, such as "3.6.0";
	// empty means DefaultVersion.
	Version string
	// DialTimeout bounds connecting to a broker.
	DialTimeout time.Duration
	// RequestTimeout bounds admin requests and produce acknowledgements.
	RequestTimeout time.Duration
	// TLS encrypts the connections to the brokers (security.go).
	TLS TLSConfig
	// SASL authenticates kds to the brokers (security.go).
	SASL SASLConfig
	// Groups says how kds's consumers take part in consumer groups
	// (membership.go).
	Groups GroupConfig
	// Compression is the codec kds's producers compress batches with:
	// none, gzip, snappy, lz4 or zstd; empty means DefaultCompression
	// (compression.go).
	Compression string
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if len(c.Brokers) == 0 {
		errs = append(errs, errors.New("kafka.brokers is empty"))
	}
	for _, b := range c.Brokers {
		if !strings.Contains(b, ":") {
			errs = append(errs, fmt.Errorf("kafka.brokers entry %q is not host:port", b))
		}
	}
	if _, err := sarama.ParseKafkaVersion(c.version()); err != nil {
		errs = append(errs, fmt.Errorf("kafka.version %q: %w", c.Version, err))
	}
	if c.DialTimeout <= 0 || c.RequestTimeout <= 0 {
		errs = append(errs, errors.New("kafka.dial_timeout and kafka.request_timeout must be positive"))
	}
	errs = append(errs, c.TLS.validate(), c.SASL.validate(), c.Groups.validate(c.version()), c.validateCompression())
	return errors.Join(errs...)
}

// version is the protocol version to speak.
func (c Config) version() string {
	if c.Version == "" {
		return DefaultVersion
	}
	return c.Version
}

// Where describes the cluster for error messages: the brokers, and how kds
// authenticates to them, without the password.
func (c Config) Where() string {
	where := "Kafka at " + strings.Join(c.Brokers, ",")
	var how []string
	if c.SASL.Mechanism != "" {
		how = append(how, fmt.Sprintf("SASL %s as %q", c.SASL.mechanism(), c.SASL.Username))
	}
	if c.TLS.Enabled {
		how = append(how, "TLS")
	}
	if len(how) > 0 {
		where += " (" + strings.Join(how, ", ") + ")"
	}
	return where
}

// sarama returns the Sarama settings every kds client starts from.
func (c Config) sarama() *sarama.Config {
	sc := sarama.NewConfig()
	sc.ClientID = c.ClientID
	sc.Version, _ = sarama.ParseKafkaVersion(c.version()) // checked by Validate
	sc.Net.DialTimeout = c.DialTimeout
	sc.Net.ReadTimeout = c.RequestTimeout + 5*time.Second
	sc.Net.WriteTimeout = c.RequestTimeout
	// A deleted topic must stay deleted: no client of ours may recreate it.
	sc.Metadata.AllowAutoTopicCreation = false
	sc.Metadata.Retry.Max = 3
	sc.Metadata.Retry.Backoff = 250 * time.Millisecond
	sc.Producer.Timeout = c.RequestTimeout
	sc.Producer.RequiredAcks = sarama.WaitForAll
	sc.Producer.Compression = c.saramaCompression()
	c.Groups.apply(sc)
	c.secureSarama(sc)
	return sc
}

// kgo returns the franz-go client options every kds client on kgo starts
// from; kgo creates no topic unless told to.
func (c Config) kgo() []kgo.Opt {
	opts := []kgo.Opt{kgo.SeedBrokers(c.Brokers...), kgo.ClientID(c.ClientID), kgo.DialTimeout(c.DialTimeout)}
	if v := kversion.FromString(c.version()); v != nil {
		opts = append(opts, kgo.MaxVersions(v))
	}
	return append(opts, c.secureKgo()...)
}
