package main

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
	"github.com/ThreeDotsLabs/watermill/components/forwarder"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kds-io/kds/adapters/httpapi"
	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/adapters/mysql"
	"github.com/kds-io/kds/app"
	"github.com/kds-io/kds/app/auth"
	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/query"
	"github.com/kds-io/kds/app/topic"
	"github.com/kds-io/kds/handlers"
)

// The roles of kds serve.
const (
	roleAPI          = "api"
	roleLifecycle    = "lifecycle"
	roleTopicManager = "topic-manager"
	roleForwarder    = "forwarder"
)

var allRoles = []string{roleAPI, roleLifecycle, roleTopicManager, roleForwarder}

// startupTimeout bounds how long start waits for MySQL and Kafka.
const startupTimeout = 15 * time.Second

// service is a running kds serve: the router with the handlers of its
// roles, and the API when it has that role.
type service struct {
	cfg     Config
	log     *slog.Logger
	db      *sql.DB
	cluster *kafka.Cluster
	// members makes the subscribers of the lifecycle and topic-manager
	// groups.
	members   *kafka.Membership
	publisher message.Publisher
	// signer signs what the forwarder publishes and verifies what the
	// handlers read.
	signer   *kafka.Signer
	outbox   *mysql.Outbox
	router   *message.Router
	http     *http.Server
	listener net.Listener
	// manager reconciles, in the topic-manager role.
	manager command.TopicManager
	metrics *prometheus.Registry // what /metrics serves: metrics.go
}

// startService connects to MySQL and Kafka, saying which one failed and
// where, migrates the schema, and builds the roles.
func startService(ctx context.Context, cfg Config, log *slog.Logger) (_ *service, err error) {
	s := &service{cfg: cfg, log: log}
	if s.signer, err = cfg.signer(); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	startCtx, cancel := context.WithTimeout(ctx, startupTimeout)
	defer cancel()
	if s.db, err = mysql.Open(startCtx, cfg.mysql()); err != nil {
		return nil, err
	}
	if err := mysql.Migrate(startCtx, s.db, log); err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.mysql().Where(), err)
	}
	if s.cluster, err = kafka.NewCluster(cfg.kafka()); err != nil {
		return nil, err
	}
	s.members = kafka.NewMembership(cfg.kafka())
	if err := s.cluster.Ping(startCtx); err != nil {
		return nil, err
	}
	internal := topic.Spec{Partitions: cfg.Kafka.InternalTopics.Partitions, ReplicationFactor: cfg.Kafka.InternalTopics.ReplicationFactor}
	if err := s.cluster.EnsureTopics(startCtx, topic.InternalTopics, internal); err != nil {
		return nil, fmt.Errorf("create kds's internal topics: %w", err)
	}
	wlog := watermill.NewSlogLoggerWithLevelMapping(log.With("component", "watermill"), map[slog.Level]slog.Level{slog.LevelInfo: slog.LevelDebug})
	s.outbox = mysql.NewOutbox(wlog)
	if s.publisher, err = kafka.NewPublisher(cfg.kafka(), mysql.KeyMetadata, wlog); err != nil {
		return nil, err
	}
	application := s.application()
	if s.router, err = handlers.NewRouter(s.publisher, cfg.retry(), wlog); err != nil {
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

func (s *service) has(role string) bool { return slices.Contains(s.cfg.Server.Roles, role) }

func (s *service) application() app.Application {
	repo := mysql.NewTopicRepository(s.db, s.outbox)
	queue := mysql.NewCommandQueue(s.db, s.outbox)
	subs := mysql.NewSubscriptionRepository(s.db, s.outbox)
	poison := kafka.NewPoisonQueue(s.cfg.kafka(), s.publisher, s.signer)
	policy := s.cfg.policy()
	tokens := auth.NewTokens(mysql.NewTokenStore(s.db), s.cfg.Auth.BootstrapAdminToken)
	return app.Application{
		Commands: app.Commands{
			Issue:         command.NewIssueHandler(repo, queue, s.cluster, policy),
			Apply:         command.NewApplyHandler(repo, policy.Limits),
			TopicManager:  command.NewTopicManager(repo, s.cluster, subs, mysql.NewReconciliationLog(s.db), s.cfg.TopicManager.DetachTimeout),
			Subscriptions: command.NewSubscriptions(repo, subs),
			Poison:        command.NewPoison(poison),
			Undeliverable: command.NewUndeliverableHandler(queue, poison),
		},
		Queries:  query.NewQueries(mysql.NewReadModel(s.db)),
		Tokens:   tokens,
		Sessions: auth.NewSessions(mysql.NewSessionStore(s.db), tokens),
	}
}

func (s *service) addRoles(a app.Application, wlog watermill.LoggerAdapter) error {
	kc := s.cfg.kafka()
	if s.has(roleLifecycle) {
		sub, err := s.members.Subscriber(handlers.LifecycleHandler, kafka.FromOldest, wlog)
		if err != nil {
			return err
		}
		handlers.AddLifecycle(s.router, sub, s.signer, a.Commands.Apply, s.log)
	}
	if s.has(roleTopicManager) {
		sub, err := s.members.Subscriber(handlers.TopicManagerHandler, kafka.FromOldest, wlog)
		if err != nil {
			return err
		}
		handlers.AddTopicManager(s.router, sub, s.signer, a.Commands.TopicManager)
		s.manager = a.Commands.TopicManager
	}
	if s.has(roleForwarder) {
		sub, err := s.outbox.Subscriber(s.db, mysql.ForwarderConfig{PollInterval: s.cfg.Outbox.PollInterval, BatchSize: s.cfg.Outbox.BatchSize})
		if err != nil {
			return err
		}
		// Messages are signed on their way out, not when written: MySQL is
		// trusted as it is, and rows written before a key rotation, or
		// before kds signed at all, leave signed with today's key. One that
		// Kafka refuses for good is recorded rather than retried forever.
		refused := func(ctx context.Context, u command.Undeliverable) error {
			s.log.Warn("Kafka refused a message for good; recording it on kds.poison", "topic", u.Topic, "key", u.Key, "bytes", len(u.Payload), "reason", u.Reason)
			return a.Commands.Undeliverable.Handle(ctx, u)
		}
		out := kafka.DivertRefused(kafka.NewSigningPublisher(s.publisher, s.signer), mysql.KeyMetadata, refused)
		if _, err := forwarder.NewForwarder(sub, out, wlog, forwarder.Config{ForwarderTopic: mysql.OutboxTopic, Router: s.router}); err != nil {
			return err
		}
	}
	if s.has(roleAPI) {
		events := httpapi.NewBroadcaster()
		sub, err := kafka.NewSubscriber(kc, "", kafka.FromNewest, wlog)
		if err != nil {
			return err
		}
		handlers.AddEventFeed(s.router, sub, s.signer, events)
		ln, err := net.Listen("tcp", s.cfg.Server.HTTPAddr)
		if err != nil {
			return fmt.Errorf("API on %s: %w", s.cfg.Server.HTTPAddr, err)
		}
		s.listener = ln
		advertised := s.cfg.Server.AdvertisedKafkaBrokers
		if len(advertised) == 0 {
			advertised = s.cfg.Kafka.Brokers
		}
		api := httpapi.NewServer(a, events, s.readinessChecks(), s.log, append(s.cfg.apiOptions(), httpapi.WithKafkaBrokers(advertised),
			httpapi.WithMetrics(s.metrics), httpapi.WithKafka(kc))...)
		s.http = &http.Server{Handler: api, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
		s.http.RegisterOnShutdown(api.EndStreams)
	}
	return nil
}

func (s *service) readinessChecks() []httpapi.Check {
	return []httpapi.Check{
		{Name: "mysql", Fn: func(ctx context.Context) error {
			if err := s.db.PingContext(ctx); err != nil {
				return mysql.Unreachable(s.cfg.mysql().Where(), err)
			}
			return nil
		}},
		{Name: "kafka", Fn: s.cluster.Ping},
		{Name: "outbox", Fn: func(ctx context.Context) error {
			oldest, err := s.outbox.Oldest(ctx, s.db)
			if err != nil {
				return err
			}
			if stuck := s.cfg.Outbox.StuckAfter; oldest > stuck {
				return fmt.Errorf("stuck: the oldest message waiting for the forwarder was written %s ago, longer than outbox.stuck_after %s; "+
					"is a forwarder role running, and can it publish to Kafka (see its log)?", oldest, stuck)
			}
			return nil
		}},
		{Name: "roles", Fn: func(context.Context) error {
			if !s.router.IsRunning() {
				return errors.New("the router is not running")
			}
			return nil
		}},
	}
}

// apiURL is where the API listens, once it does.
func (s *service) apiURL() string {
	if s.listener == nil {
		return ""
	}
	return "http://" + s.listener.Addr().String()
}

// run runs every role until ctx ends, then shuts down gracefully; ready is
// called once everything runs.
func (s *service) run(ctx context.Context, ready func()) error {
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
	if s.has(roleTopicManager) {
		go s.reconcileLoop(ctx)
	}
	if s.has(roleForwarder) {
		go s.pruneOutbox(ctx)
	}
	s.log.Info("kds serve running", "roles", s.cfg.Server.Roles, "api", s.apiURL(), "kafka", s.cfg.Kafka.Brokers, "mysql", s.cfg.mysql().Where())
	ready()
	select {
	case <-ctx.Done():
	case err := <-errs:
		return err
	}
	s.log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), s.cfg.Server.ShutdownTimeout)
	defer cancel()
	var shutdownErr error
	if s.http != nil {
		shutdownErr = s.http.Shutdown(shutdownCtx)
	}
	return errors.Join(shutdownErr, s.router.Close())
}

// reconcileLock lets one topic manager at a time compare kds with Kafka.
const reconcileLock = "kds.reconcile"

// reconcileLoop compares kds with Kafka on start and every
// topic_manager.reconcile_interval.
func (s *service) reconcileLoop(ctx context.Context) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.reconcile(ctx)
		t.Reset(s.cfg.TopicManager.ReconcileInterval)
	}
}

func (s *service) reconcile(ctx context.Context) {
	release, ok, err := mysql.TryLock(ctx, s.db, reconcileLock)
	if err != nil {
		s.log.Warn("reconciliation skipped", "err", err)
		return
	}
	if !ok {
		s.log.Debug("another topic manager is reconciling")
		return
	}
	defer release()
	r, err := s.manager.Reconcile(ctx, command.ReconcileOptions{ImportOrphans: s.cfg.TopicManager.SyncOrphanedTopics})
	if err != nil {
		s.log.Warn("reconciliation failed; trying again in topic_manager.reconcile_interval", "err", err)
		return
	}
	repaired := 0
	for _, f := range r.Findings {
		switch {
		case f.Repaired:
			repaired++
			s.log.Info("drift repaired", "topic", f.Topic, "kind", f.Kind, "detail", f.Detail)
		default:
			s.log.Warn("drift found", "topic", f.Topic, "kind", f.Kind, "detail", f.Detail, "repair_error", f.Error)
		}
	}
	s.log.Info("reconciled kds with Kafka", "topics", r.Checked, "findings", len(r.Findings), "repaired", repaired,
		"duration", r.FinishedAt.Sub(r.StartedAt).Round(time.Millisecond))
}

func (s *service) pruneOutbox(ctx context.Context) {
	t := time.NewTicker(s.cfg.Outbox.PruneInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n, err := s.outbox.Prune(ctx, s.db, s.cfg.Outbox.Retention)
			if err != nil {
				s.log.Warn("outbox prune failed", "err", err)
				continue
			}
			s.log.Debug("outbox pruned", "rows", n)
		}
	}
}

func (s *service) close() {
	if s.listener != nil {
		s.listener.Close() // already closed after a graceful shutdown
	}
	if s.publisher != nil {
		s.publisher.Close()
	}
	if s.cluster != nil {
		s.cluster.Close()
	}
	if s.members != nil {
		s.members.Close()
	}
	if s.db != nil {
		s.db.Close()
	}
}
