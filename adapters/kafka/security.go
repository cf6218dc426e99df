package kafka

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"syscall"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	kscram "github.com/twmb/franz-go/pkg/sasl/scram"
	"github.com/xdg-go/scram"
)

// TLSConfig is kafka.tls: encrypted connections to the brokers.
type TLSConfig struct {
	Enabled bool
	// CAFile is a PEM file with the certificates that sign the brokers'
	// certificates; empty means the system's trusted roots.
	CAFile string
	// CertFile and KeyFile are a PEM client certificate and its key, for
	// brokers that authenticate clients by certificate (mutual TLS).
	CertFile string
	KeyFile  string
	// InsecureSkipVerify accepts any broker certificate. It defeats TLS's
	// protection against impostors: for trying things only.
	InsecureSkipVerify bool
}

func (t TLSConfig) validate() error {
	if !t.Enabled {
		var set []string
		for key, v := range map[string]bool{"ca_file": t.CAFile != "", "cert_file": t.CertFile != "", "key_file": t.KeyFile != "", "insecure_skip_verify": t.InsecureSkipVerify} {
			if v {
				set = append(set, "kafka.tls."+key)
			}
		}
		if len(set) > 0 {
			slices.Sort(set)
			return fmt.Errorf("%s set but kafka.tls.enabled is false", strings.Join(set, ", "))
		}
		return nil
	}
	_, err := t.load()
	return err
}

// load reads the files into a crypto/tls configuration; its errors name
// the key and the file.
func (t TLSConfig) load() (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: t.InsecureSkipVerify} //nolint:gosec // only when kafka.tls.insecure_skip_verify says so
	var errs []error
	if t.CAFile != "" {
		pool, err := loadCAFile("kafka.tls.ca_file", t.CAFile)
		if err != nil {
			errs = append(errs, err)
		}
		tc.RootCAs = pool
	}
	switch {
	case t.CertFile != "" && t.KeyFile != "":
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			errs = append(errs, fmt.Errorf("kafka.tls.cert_file %s and kafka.tls.key_file %s: %w", t.CertFile, t.KeyFile, err))
		}
		tc.Certificates = []tls.Certificate{cert}
	case t.CertFile != "":
		errs = append(errs, errors.New("kafka.tls.cert_file is set without kafka.tls.key_file"))
	case t.KeyFile != "":
		errs = append(errs, errors.New("kafka.tls.key_file is set without kafka.tls.cert_file"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return tc, nil
}

// loadCAFile reads a PEM file of CA certificates; key names the
// configuration key in errors.
func loadCAFile(key, path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", key, path, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s %s: no PEM certificate in it", key, path)
	}
	return pool, nil
}

// config is the TLS every client of kds speaks, nil when it is off.
// Validate has read the files already; should they have become unreadable
// since, every connection fails with the reason rather than going out
// without them.
func (t TLSConfig) config() *tls.Config {
	if !t.Enabled {
		return nil
	}
	tc, err := t.load()
	if err != nil {
		return &tls.Config{MinVersion: tls.VersionTLS12, VerifyConnection: func(tls.ConnectionState) error { return err }}
	}
	return tc
}

// The SASL mechanisms kds speaks.
const (
	SASLPlain       = sarama.SASLTypePlaintext
	SASLScramSHA256 = sarama.SASLTypeSCRAMSHA256
	SASLScramSHA512 = sarama.SASLTypeSCRAMSHA512
)

// SASLMechanisms are the values kafka.sasl.mechanism takes besides "".
var SASLMechanisms = []string{SASLPlain, SASLScramSHA256, SASLScramSHA512}

// SASLConfig is kafka.sasl: how kds authenticates to the brokers. PLAIN
// sends the password as it is: use it over TLS only.
type SASLConfig struct {
	// Mechanism is "", PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512; "" is no SASL.
	Mechanism string
	Username  string
	Password  string
}

// mechanism is Mechanism as Sarama spells it, whatever its case here.
func (s SASLConfig) mechanism() string { return strings.ToUpper(s.Mechanism) }

func (s SASLConfig) validate() error {
	if s.Mechanism == "" {
		if s.Username != "" || s.Password != "" {
			return errors.New("kafka.sasl.username or kafka.sasl.password set but kafka.sasl.mechanism is empty (want " + strings.Join(SASLMechanisms, ", ") + ")")
		}
		return nil
	}
	var errs []error
	if !slices.Contains(SASLMechanisms, s.mechanism()) {
		errs = append(errs, fmt.Errorf("kafka.sasl.mechanism %q: want %s or empty", s.Mechanism, strings.Join(SASLMechanisms, ", ")))
	}
	if s.Username == "" {
		errs = append(errs, errors.New("kafka.sasl.username is empty"))
	}
	if s.Password == "" {
		errs = append(errs, errors.New("kafka.sasl.password is empty"))
	}
	return errors.Join(errs...)
}

// secureSarama sets c's TLS and SASL in a Sarama configuration, and
// secureKgo gives them as franz-go client options: the one place where
// both clients learn them.
func (c Config) secureSarama(sc *sarama.Config) {
	if tc := c.TLS.config(); tc != nil {
		sc.Net.TLS.Enable = true
		sc.Net.TLS.Config = tc
	}
	s := c.SASL
	if s.Mechanism == "" {
		return
	}
	sc.Net.SASL.Enable = true
	sc.Net.SASL.Handshake = true
	sc.Net.SASL.Mechanism = sarama.SASLMechanism(s.mechanism())
	sc.Net.SASL.User = s.Username
	sc.Net.SASL.Password = s.Password
	switch s.mechanism() {
	case SASLScramSHA256:
		sc.Net.SASL.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return &scramClient{hash: scram.SHA256} }
	case SASLScramSHA512:
		sc.Net.SASL.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return &scramClient{hash: scram.SHA512} }
	}
}

func (c Config) secureKgo() []kgo.Opt {
	var opts []kgo.Opt
	if tc := c.TLS.config(); tc != nil {
		opts = append(opts, kgo.DialTLSConfig(tc))
	}
	s := c.SASL
	switch s.mechanism() {
	case SASLPlain:
		opts = append(opts, kgo.SASL(plain.Auth{User: s.Username, Pass: s.Password}.AsMechanism()))
	case SASLScramSHA256:
		opts = append(opts, kgo.SASL(kscram.Auth{User: s.Username, Pass: s.Password}.AsSha256Mechanism()))
	case SASLScramSHA512:
		opts = append(opts, kgo.SASL(kscram.Auth{User: s.Username, Pass: s.Password}.AsSha512Mechanism()))
	}
	return opts
}

// scramClient is Sarama's SCRAM client side, done by xdg-go/scram.
type scramClient struct {
	hash         scram.HashGeneratorFcn
	conversation *scram.ClientConversation
}

// Begin implements sarama.SCRAMClient.
func (c *scramClient) Begin(user, password, authzID string) error {
	client, err := c.hash.NewClient(user, password, authzID)
	if err != nil {
		// The user name or password cannot be prepared (SASLprep); the
		// error does not repeat them.
		return fmt.Errorf("SCRAM: %w", err)
	}
	c.conversation = client.NewConversation()
	return nil
}

// Step implements sarama.SCRAMClient.
func (c *scramClient) Step(challenge string) (string, error) {
	return c.conversation.Step(challenge)
}

// Done implements sarama.SCRAMClient.
func (c *scramClient) Done() bool { return c.conversation.Done() }

// securityHint says what to check when a broker refused or hung up on a
// connection, which is how brokers answer wrong credentials and a client
// that does not speak TLS to a TLS listener.
func securityHint(err error) string {
	var unknownCA x509.UnknownAuthorityError
	switch {
	case errors.As(err, &unknownCA):
		return " (kafka.tls.ca_file should name the CA that signed the brokers' certificates)"
	case errors.Is(err, sarama.ErrSASLAuthenticationFailed), errors.Is(err, kerr.SaslAuthenticationFailed):
		return " (the broker refused the credentials: check kafka.sasl.mechanism, username and password, or KDS_KAFKA_SASL_*)"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET):
		return " (the broker hung up: check that kafka.sasl and kafka.tls (KDS_KAFKA_SASL_*, KDS_KAFKA_TLS_*) match the broker's listener, and the SASL user name and password)"
	}
	return ""
}

// String describes the SASL settings without the password, so that a
// configuration printed or logged by mistake does not show it.
func (s SASLConfig) String() string {
	if s.Mechanism == "" {
		return "no SASL"
	}
	return fmt.Sprintf("SASL %s as %q, password %s", s.mechanism(), s.Username, redacted(s.Password))
}

// GoString is String, for %#v.
func (s SASLConfig) GoString() string { return s.String() }

func redacted(secret string) string {
	if secret == "" {
		return "not set"
	}
	return "set (not shown)"
}
