// Package embedded runs an in-process cluster that speaks the Kafka
// protocol (franz-go's kfake), for kds dev, kds broker and tests. It keeps
// its data in memory unless given a directory, where SASL users made at
// runtime are kept too, but the users it is started with always log in
// with the password it is started with.
package embedded

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// Config describes the cluster to start.
type Config struct {
	// Addr is where the first broker listens; the others take the next
	// ports. Port 0 picks free ports.
	Addr string
	// Brokers is how many brokers to run.
	Brokers int
	// DataDir, when set, keeps the cluster's data across restarts.
	DataDir string
	// SASL, when it has users, makes the brokers accept only clients that
	// authenticate as one of them.
	SASL []SASLUser
	// TLS, when set, makes the brokers speak TLS only.
	TLS *tls.Config
	// ACLs makes the brokers enforce ACLs on every user but the SASL
	// users above, who may do anything.
	ACLs bool
}

// SASLUser is a user the brokers accept, with every permission.
type SASLUser struct {
	// Mechanism is PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512, in any case, as
	// kds's Kafka clients take it.
	Mechanism string
	Username  string
	Password  string
}

// kfakeSASLFile is where kfake saves its SASL users in its data directory.
const kfakeSASLFile = "sasl.json"

// Broker is a running embedded cluster.
type Broker struct {
	cluster *kfake.Cluster
}

// Start runs the cluster c describes.
func Start(c Config) (*Broker, error) {
	if c.Brokers < 1 {
		return nil, fmt.Errorf("an embedded cluster needs at least 1 broker, got %d", c.Brokers)
	}
	host, portText, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return nil, fmt.Errorf("embedded broker address %q: %w", c.Addr, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return nil, fmt.Errorf("embedded broker address %q: bad port", c.Addr)
	}
	ports := make([]int, c.Brokers)
	for i := range ports {
		if port != 0 {
			ports[i] = port + i
		}
	}
	opts := []kfake.Opt{
		kfake.Ports(ports...),
		kfake.ClusterID("kds-embedded"),
		// kfake always listens on loopback; listen on the host asked for.
		kfake.ListenFn(func(network, addr string) (net.Listener, error) {
			_, p, _ := net.SplitHostPort(addr)
			return net.Listen(network, net.JoinHostPort(host, p))
		}),
	}
	if c.DataDir != "" {
		opts = append(opts, kfake.DataDir(c.DataDir))
	}
	if len(c.SASL) > 0 {
		opts = append(opts, kfake.EnableSASL())
		for _, u := range c.SASL {
			// kfake matches a login's mechanism exactly, and clients send it in upper case.
			mechanism := strings.ToUpper(u.Mechanism)
			switch mechanism {
			case "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
			default:
				return nil, fmt.Errorf("embedded broker: SASL mechanism %q: want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", u.Mechanism)
			}
			opts = append(opts, kfake.Superuser(mechanism, u.Username, u.Password))
		}
	}
	if c.ACLs {
		if len(c.SASL) == 0 {
			return nil, errors.New("an embedded broker enforces ACLs only with SASL users, who administer them")
		}
		opts = append(opts, kfake.EnableACLs())
	}
	if c.TLS != nil {
		opts = append(opts, kfake.TLS(c.TLS))
	}
	cluster, err := newCluster(c.Addr, opts)
	if err != nil {
		return nil, err
	}
	if c.DataDir != "" && len(c.SASL) > 0 && loginAll(cluster.ListenAddrs(), c.SASL, c.TLS) != nil {
		// kfake loads the users it saved over those it is started with
		// (TestKfakeKeepsTheUsersOfItsDataDir), and a password changed
		// since. The users given win: the saved ones go, those made at
		// runtime with them, whose credentials kds sets again whenever a
		// client asks for them.
		cluster.Close()
		if err := os.Remove(filepath.Join(c.DataDir, kfakeSASLFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("embedded broker data directory: %w", err)
		}
		if cluster, err = newCluster(c.Addr, opts); err != nil {
			return nil, err
		}
	}
	if len(c.SASL) > 0 {
		if err := advertiseSaslHandshakeV0(cluster, c.TLS); err != nil {
			cluster.Close()
			return nil, err
		}
	}
	return &Broker{cluster: cluster}, nil
}

func newCluster(addr string, opts []kfake.Opt) (*kfake.Cluster, error) {
	cluster, err := kfake.NewCluster(opts...)
	if err != nil {
		var opErr *net.OpError
		if errors.As(err, &opErr) {
			return nil, fmt.Errorf("start embedded Kafka on %s: %w (is another broker already listening there?)", addr, err)
		}
		return nil, fmt.Errorf("start embedded Kafka: %w", err)
	}
	return cluster, nil
}

// loginAll logs in to the brokers at addrs as each of users.
func loginAll(addrs []string, users []SASLUser, tlsConfig *tls.Config) error {
	for _, u := range users {
		client, err := ownClient(addrs, tlsConfig, kgo.SASL(mechanism(u)))
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = client.Ping(ctx)
		cancel()
		client.Close()
		if err != nil {
			return fmt.Errorf("log in as %s: %w", u.Username, err)
		}
	}
	return nil
}

// ownClient is a client of the brokers at addrs, which this process runs,
// with the server side's TLS configuration tlsConfig, nil without TLS.
func ownClient(addrs []string, tlsConfig *tls.Config, opts ...kgo.Opt) (*kgo.Client, error) {
	opts = append([]kgo.Opt{kgo.SeedBrokers(addrs...)}, opts...)
	if tlsConfig != nil {
		// Its own listener, in this process: nothing to verify.
		own := tlsConfig.Clone()
		own.InsecureSkipVerify = true //nolint:gosec // the broker is this process's own
		opts = append(opts, kgo.DialTLSConfig(own))
	}
	return kgo.NewClient(opts...)
}

// mechanism is the client side of u's login.
func mechanism(u SASLUser) sasl.Mechanism {
	switch strings.ToUpper(u.Mechanism) {
	case "SCRAM-SHA-256":
		return scram.Auth{User: u.Username, Pass: u.Password}.AsSha256Mechanism()
	case "SCRAM-SHA-512":
		return scram.Auth{User: u.Username, Pass: u.Password}.AsSha512Mechanism()
	}
	return plain.Auth{User: u.Username, Pass: u.Password}.AsMechanism()
}

// Addrs are the brokers' host:port addresses, for clients' bootstrap list.
func (b *Broker) Addrs() []string { return b.cluster.ListenAddrs() }

// Close stops the cluster, saving its data when it has a directory.
func (b *Broker) Close() { b.cluster.Close() }
