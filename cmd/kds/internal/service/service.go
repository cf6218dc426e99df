// Package service assembles kds serve from the adapters: the router with
// the handlers of the roles it runs, the path every command and event
// takes (the outbox, the forwarder that signs what it publishes to Kafka,
// the lifecycle and topic-manager handlers), the API, and the upkeep
// (reconciliation, outbox pruning). kds serve and kds dev run it.
package service

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kds-io/kds/adapters/httpapi"
	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/adapters/mysql"
	"github.com/kds-io/kds/app/access"
	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/topic"
	"github.com/kds-io/kds/handlers"
)

// Config is what a service runs with, from configs/kds.yaml.
type Config struct {
	Kafka kafka.Config
	// InternalTopics is the layout kds.commands, kds.events and
	// kds.poison get when they are created.
	InternalTopics topic.Spec
	MySQL          mysql.Config
	// Roles are the roles to run: some of AllRoles.
	Roles []string
	// HTTPAddr is where the API listens, with the api role.
	HTTPAddr string
	// AdvertisedKafkaBrokers are the Kafka addresses the API gives
	// clients; empty means Kafka.Brokers.
	AdvertisedKafkaBrokers []string
	// ShutdownTimeout bounds a graceful stop.
	ShutdownTimeout time.Duration
	Outbox          OutboxConfig
	TopicManager    TopicManagerConfig
	Retry           handlers.RetryConfig
	Policy          command.Policy
	// BootstrapAdminToken is accepted as an admin token without being
	// stored.
	BootstrapAdminToken string
	// Signer signs what the service publishes on kds's topics and checks
	// what it reads there.
	Signer *kafka.Signer
	// API holds the API's settings from the server and auth sections.
	API []httpapi.Option
	// Access, with kafka.manage_acls, makes Kafka's ACLs and SCRAM users
	// follow kds's decisions; nil leaves them alone.
	Access *access.KeeperConfig
}

// OutboxConfig is the outbox section.
type OutboxConfig struct {
	PollInterval  time.Duration
	BatchSize     int
	Retention     time.Duration
	PruneInterval time.Duration
	// StuckAfter is how old the oldest undelivered row may be before
	// /readyz says the outbox is stuck.
	StuckAfter time.Duration
}

// TopicManagerConfig is the topic_manager section.
type TopicManagerConfig struct {
	ReconcileInterval  time.Duration
	SyncOrphanedTopics bool
	DetachTimeout      time.Duration
}

// startupTimeout bounds how long Start waits for MySQL and Kafka.
const startupTimeout = 15 * time.Second

// Service is a running kds serve: the router with the handlers of its
// roles, and the API when it has that role.
type Service struct {
	cfg     Config
	log     *slog.Logger
	db      *sql.DB
	cluster *kafka.Cluster
	// members makes the subscribers of the lifecycle and topic-manager
	// groups.
	members   *kafka.Membership
	publisher message.Publisher
	outbox    *mysql.Outbox
	router    *message.Router
	http      *http.Server
	listener  net.Listener
	// manager reconciles, in the topic-manager role.
	manager command.TopicManager
	metrics *prometheus.Registry // what /metrics serves: metrics.go
	// usage reads what topics hold and how far subscriptions are behind,
	// for the API, and the newest offsets for the message rates, which
	// its readings share; nil without the api role.
	usage *kafka.Usage
	// forward delivers the outbox to Kafka through forwarded until its
	// context ends, in the forwarder role.
	forward   func(context.Context)
	forwarded *kafka.BatchPublisher
}

// Start connects to MySQL and Kafka, saying which one failed and where,
// migrates the schema, creates kds's internal topics when missing, and
// builds the roles; Run runs them.
func Start(ctx context.Context, cfg Config, log *slog.Logger) (_ *Service, err error) {
	if cfg.Signer == nil {
		return nil, errors.New("a service needs a signer for kds's messages")
	}
	s := &Service{cfg: cfg, log: log}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	startCtx, cancel := context.WithTimeout(ctx, startupTimeout)
	defer cancel()
	if s.db, err = mysql.Open(startCtx, cfg.MySQL); err != nil {
		return nil, err
	}
	if err := mysql.Migrate(startCtx, s.db, log); err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.MySQL.Where(), err)
	}
	if s.cluster, err = kafka.NewCluster(cfg.Kafka); err != nil {
		return nil, err
	}
	s.members = kafka.NewMembership(cfg.Kafka)
	if err := s.cluster.Ping(startCtx); err != nil {
		return nil, err
	}
	if err := s.cluster.EnsureTopics(startCtx, topic.InternalTopics, cfg.InternalTopics); err != nil {
		return nil, fmt.Errorf("create kds's internal topics: %w", err)
	}
	if cfg.Access != nil {
		// Every decision converges Kafka's ACLs: find out now, not at the
		// first approval, that kds's own user may not.
		if _, _, err := s.cluster.ACLs(startCtx); err != nil {
			return nil, fmt.Errorf("kafka.manage_acls: kds's own Kafka user %q cannot read the cluster's ACLs (it needs the rights docs/DESIGN.md lists under Kafka principals and ACLs): %w",
				cfg.Kafka.SASL.Username, err)
		}
	}
	wlog := watermill.NewSlogLoggerWithLevelMapping(log.With("component", "watermill"), map[slog.Level]slog.Level{slog.LevelInfo: slog.LevelDebug})
	s.outbox = mysql.NewOutbox(wlog)
	if s.publisher, err = kafka.NewPublisher(cfg.Kafka, mysql.KeyMetadata, wlog); err != nil {
		return nil, err
	}
	application, err := s.application()
	if err != nil {
		return nil, err
	}
	if s.router, err = handlers.NewRouter(s.publisher, cfg.Retry, wlog); err != nil {
		return nil, err
	}
	if s.metrics, err = s.instrument(); err != nil {
		return nil, err
	}
	if err := s.addRoles(application, wlog); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Service) has(role string) bool { return slices.Contains(s.cfg.Roles, role) }

// APIURL is where the API listens, once it does; empty without the api
// role.
func (s *Service) APIURL() string {
	if s.listener == nil {
		return ""
	}
	return "http://" + s.listener.Addr().String()
}

// Run runs every role until ctx ends, then shuts down gracefully; ready is
// called once everything runs.
func (s *Service) Run(ctx context.Context, ready func()) error {
	defer s.close()
	errs := make(chan error, 3)
	go func() { errs <- s.router.Run(ctx) }()
	select {
	case <-s.router.Running():
	case err := <-errs:
		return fmt.Errorf("router: %w", err)
	}
	if s.http != nil {
		go func() {
			if err := s.http.Serve(s.listener); !errors.Is(err, http.ErrServerClosed) {
				errs <- fmt.Errorf("API: %w", err)
			}
		}()
	}
	if s.has(RoleTopicManager) {
		go s.reconcileLoop(ctx)
	}
	if s.has(RoleForwarder) {
		go s.pruneOutbox(ctx)
		forwardCtx, stop := context.WithCancel(ctx)
		forwarding := make(chan struct{})
		go func() {
			defer close(forwarding)
			s.forward(forwardCtx)
		}()
		defer func() { // before s.close: the forwarder uses the database
			stop()
			<-forwarding
		}()
	}
	s.log.Info("kds serve running", "roles", s.cfg.Roles, "api", s.APIURL(), "kafka", s.cfg.Kafka.Brokers, "mysql", s.cfg.MySQL.Where())
	ready()
	select {
	case <-ctx.Done():
	case err := <-errs:
		return err
	}
	s.log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	var shutdownErr error
	if s.http != nil {
		shutdownErr = s.http.Shutdown(shutdownCtx)
	}
	return errors.Join(shutdownErr, s.router.Close())
}

func (s *Service) close() {
	if s.listener != nil {
		s.listener.Close() // already closed after a graceful shutdown
	}
	if s.publisher != nil {
		s.publisher.Close()
	}
	if s.forwarded != nil {
		s.forwarded.Close()
	}
	if s.cluster != nil {
		s.cluster.Close()
	}
	if s.members != nil {
		s.members.Close()
	}
	if s.usage != nil {
		s.usage.Close()
	}
	if s.db != nil {
		s.db.Close()
	}
}
