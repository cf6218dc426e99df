package service

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/ThreeDotsLabs/watermill"

	"github.com/kds-io/kds/adapters/httpapi"
	"github.com/kds-io/kds/adapters/kafka"
	"github.com/kds-io/kds/adapters/mysql"
	"github.com/kds-io/kds/app"
	"github.com/kds-io/kds/app/access"
	"github.com/kds-io/kds/app/auth"
	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/query"
	"github.com/kds-io/kds/handlers"
)

// The roles a service runs.
const (
	// RoleAPI serves the HTTP API and the dashboard.
	RoleAPI = "api"
	// RoleLifecycle applies the commands on kds.commands.
	RoleLifecycle = "lifecycle"
	// RoleTopicManager creates approved topics in Kafka, deletes
	// deactivated ones and reconciles.
	RoleTopicManager = "topic-manager"
	// RoleForwarder delivers the MySQL outbox to Kafka.
	RoleForwarder = "forwarder"
)

// AllRoles are every role, in the order kds serve lists them.
var AllRoles = []string{RoleAPI, RoleLifecycle, RoleTopicManager, RoleForwarder}

// aclLock lets one process at a time change Kafka's ACLs; one waits for
// another's convergence, which takes milliseconds, up to aclLockWait.
const (
	aclLock     = "kds.acls"
	aclLockWait = 30 * time.Second
)

// application is the use cases, on MySQL and Kafka.
func (s *Service) application() (app.Application, error) {
	repo := mysql.NewTopicRepository(s.db, s.outbox)
	// What the lifecycle and the topic manager store, arriving together on
	// several partitions, shares transactions.
	grouped := command.NewGroupCommit(repo)
	queue := mysql.NewCommandQueue(s.db, s.outbox)
	subs := mysql.NewSubscriptionRepository(s.db, s.outbox)
	poison := kafka.NewPoisonQueue(s.cfg.Kafka, s.publisher, s.cfg.Signer)
	tokens := auth.NewTokens(mysql.NewTokenStore(s.db), s.cfg.BootstrapAdminToken)
	a := app.Application{
		Commands: app.Commands{
			Issue:         command.NewIssueHandler(repo, queue, s.cluster, s.cfg.Policy),
			Apply:         command.NewApplyHandler(grouped, s.cfg.Policy.Limits),
			TopicManager:  command.NewTopicManager(grouped, s.cluster, subs, mysql.NewReconciliationLog(s.db), s.cfg.TopicManager.DetachTimeout),
			Subscriptions: command.NewSubscriptions(repo, subs),
			Poison:        command.NewPoison(poison),
			Undeliverable: command.NewUndeliverableHandler(queue, poison),
		},
		Queries:  query.NewQueries(mysql.NewReadModel(s.db)),
		Tokens:   tokens,
		Sessions: auth.NewSessions(mysql.NewSessionStore(s.db), tokens),
	}
	if s.cfg.Access == nil {
		return a, nil
	}
	keeper, err := access.NewKeeper(mysql.NewAccessState(s.db), s.cluster, command.NewAccessAudit(repo),
		mysql.NewNamedLock(s.db, aclLock, aclLockWait), *s.cfg.Access)
	if err != nil {
		return app.Application{}, err
	}
	a.Access = keeper
	a.Commands.TopicManager = a.Commands.TopicManager.WithAccess(keeper)
	a.Commands.Subscriptions = a.Commands.Subscriptions.WithAccess(keeper)
	return a, nil
}

// addRoles adds each role's handlers to the router, and builds the API.
// The lifecycle and the topic manager read many topics' messages at once,
// each topic's in order, so that what arrives together is stored together.
func (s *Service) addRoles(a app.Application, wlog watermill.LoggerAdapter) error {
	if s.has(RoleLifecycle) {
		sub, err := s.members.KeyedSubscriber(handlers.LifecycleHandler, kafka.FromOldest, kafka.DefaultInFlight, wlog)
		if err != nil {
			return err
		}
		handlers.AddLifecycle(s.router, sub, s.cfg.Signer, a.Commands.Apply, s.log)
	}
	if s.has(RoleTopicManager) {
		sub, err := s.members.KeyedSubscriber(handlers.TopicManagerHandler, kafka.FromOldest, kafka.DefaultInFlight, wlog)
		if err != nil {
			return err
		}
		handlers.AddTopicManager(s.router, sub, s.cfg.Signer, a.Commands.TopicManager)
		s.manager = a.Commands.TopicManager
	}
	if s.has(RoleForwarder) {
		if err := s.addForwarder(a); err != nil {
			return err
		}
	}
	if s.has(RoleAPI) {
		return s.addAPI(a, wlog)
	}
	return nil
}

// addForwarder prepares the outbox's delivery into Kafka, which Run
// starts. Messages are signed on their way out, not when written: MySQL is
// trusted as it is, and rows written before a key rotation, or before kds
// signed at all, leave signed with today's key. One that Kafka refuses for
// good is recorded rather than retried forever.
func (s *Service) addForwarder(a app.Application) error {
	pub, err := kafka.NewInternalPublisher(s.cfg.Kafka, mysql.KeyMetadata)
	if err != nil {
		return err
	}
	s.forwarded = pub
	refused := func(ctx context.Context, u command.Undeliverable) error {
		s.log.Warn("Kafka refused a message for good; recording it on kds.poison", "topic", u.Topic, "key", u.Key, "bytes", len(u.Payload), "reason", u.Reason)
		return a.Commands.Undeliverable.Handle(ctx, u)
	}
	out := kafka.DivertRefused(kafka.NewSigningPublisher(pub, s.cfg.Signer), mysql.KeyMetadata, refused)
	s.forward = func(ctx context.Context) {
		s.outbox.Forward(ctx, s.db, mysql.ForwarderConfig{PollInterval: s.cfg.Outbox.PollInterval, BatchSize: s.cfg.Outbox.BatchSize}, out)
	}
	return nil
}

// addAPI builds the API, with the event feed it wakes waiting requests and
// streams with, and listens on HTTPAddr.
func (s *Service) addAPI(a app.Application, wlog watermill.LoggerAdapter) error {
	events := httpapi.NewBroadcaster()
	sub, err := kafka.NewSubscriber(s.cfg.Kafka, kafka.FromNewest, wlog)
	if err != nil {
		return err
	}
	handlers.AddEventFeed(s.router, sub, s.cfg.Signer, events)
	ln, err := net.Listen("tcp", s.cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("API on %s: %w", s.cfg.HTTPAddr, err)
	}
	s.listener = ln
	advertised := s.cfg.AdvertisedKafkaBrokers
	if len(advertised) == 0 {
		advertised = s.cfg.Kafka.Brokers
	}
	liveLog := watermill.NewSlogLoggerWithLevelMapping(s.log.With("component", "live-messages"), map[slog.Level]slog.Level{slog.LevelInfo: slog.LevelDebug})
	s.usage = kafka.NewUsage(s.cfg.Kafka)
	api := httpapi.NewServer(a, events, s.readinessChecks(), s.log, append(s.cfg.API, httpapi.WithKafkaBrokers(advertised),
		httpapi.WithMetrics(s.metrics), httpapi.WithContent(kafka.NewTail(s.cfg.Kafka, liveLog), s.usage),
		httpapi.WithUsage(s.usage), httpapi.WithBrowser(kafka.NewBrowser(s.cfg.Kafka)))...)
	s.http = &http.Server{Handler: api, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	s.http.RegisterOnShutdown(api.EndStreams)
	return nil
}
