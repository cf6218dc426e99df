// Package jsonapi serves kds's JSON API under /api/v1: topics and their
// lifecycle, commands, tokens, consumers and their subscriptions and
// processes, the poison list, the last reconciliation and where Kafka is.
// Each route authenticates with authn, calls app and answers with
// apiv1's types; the package depends on app and nothing else of kds.
package jsonapi

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/kds-io/kds/adapters/httpapi/authn"
	"github.com/kds-io/kds/adapters/httpapi/internal/httpjson"
	"github.com/kds-io/kds/app"
	"github.com/kds-io/kds/app/command"
)

// TopicEvents wake the requests that wait for an outcome.
type TopicEvents interface {
	// WatchTopic returns a channel that receives a value after events
	// about the topic, however many arrived meanwhile, and a function that
	// stops it.
	WatchTopic(name string) (<-chan struct{}, func())
}

// Consumption counts what consumer processes report in their heartbeats.
type Consumption interface {
	// Observe takes a process's report: per topic, how many messages it
	// delivered since it started. instance names the process and its
	// consumer.
	Observe(ctx context.Context, instance string, totals map[string]int64)
	// Forget drops a process that said goodbye.
	Forget(instance string)
}

// API serves the JSON API.
type API struct {
	app      app.Application
	auth     *authn.Authenticator
	events   TopicEvents
	consumed Consumption
	// kafkaBrokers is where producers and consumers reach Kafka.
	kafkaBrokers []string
	log          *slog.Logger
	issued       *prometheus.CounterVec
}

// New serves a, authenticating with au; waiting requests are woken by
// events, heartbeats counted by consumed, and clients told that Kafka is
// at kafkaBrokers. It registers its metrics with reg.
func New(a app.Application, au *authn.Authenticator, events TopicEvents, consumed Consumption, kafkaBrokers []string,
	reg prometheus.Registerer, log *slog.Logger) *API {
	return &API{app: a, auth: au, events: events, consumed: consumed, kafkaBrokers: kafkaBrokers, log: log,
		issued: promauto.With(reg).NewCounterVec(prometheus.CounterOpts{
			Name: "kds_commands_issued_total",
			Help: "Commands issued through the API, by type and outcome: queued, refused (bad input or an illegal move), forbidden (the role may not) or error.",
		}, []string{"type", "outcome"})}
}

// Routes serves the API's routes on mux.
func (api *API) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/whoami", api.auth.Require(api.whoami))
	mux.HandleFunc("GET /api/v1/topics", api.auth.Require(api.listTopics))
	mux.HandleFunc("POST /api/v1/topics", api.auth.Require(api.requestTopic))
	mux.HandleFunc("GET /api/v1/topics/{name}", api.auth.Require(api.showTopic))
	mux.HandleFunc("PUT /api/v1/topics/{name}", api.auth.Require(api.updateTopic))
	mux.HandleFunc("GET /api/v1/topics/{name}/history", api.auth.Require(api.topicHistory))
	mux.HandleFunc("POST /api/v1/topics/{name}/{action}", api.auth.Require(api.decideTopic))
	mux.HandleFunc("POST /api/v1/commands", api.auth.Require(api.issueCommands))
	mux.HandleFunc("GET /api/v1/commands", api.auth.Require(api.listCommands))
	mux.HandleFunc("GET /api/v1/commands/{id}", api.auth.Require(api.showCommand))
	mux.HandleFunc("POST /api/v1/tokens", api.auth.Require(api.createToken))
	mux.HandleFunc("GET /api/v1/tokens", api.auth.Require(api.listTokens))
	mux.HandleFunc("DELETE /api/v1/tokens/{id}", api.auth.Require(api.revokeToken))
	mux.HandleFunc("GET /api/v1/cluster", api.auth.Require(api.cluster))
	mux.HandleFunc("GET /api/v1/kafka/credentials", api.auth.Require(api.kafkaCredentials))
	mux.HandleFunc("GET /api/v1/access", api.auth.Require(api.listAccess))
	mux.HandleFunc("GET /api/v1/drift", api.auth.Require(api.drift))
	mux.HandleFunc("GET /api/v1/poison", api.auth.Require(api.listPoison))
	mux.HandleFunc("POST /api/v1/poison/{id}/requeue", api.auth.Require(api.requeuePoison))
	mux.HandleFunc("GET /api/v1/consumers", api.auth.Require(api.listConsumers))
	mux.HandleFunc("GET /api/v1/consumers/{id}", api.auth.Require(api.showConsumer))
	mux.HandleFunc("PUT /api/v1/consumers/{id}/subscriptions/{topic}", api.auth.Require(api.subscribe))
	mux.HandleFunc("DELETE /api/v1/consumers/{id}/subscriptions/{topic}", api.auth.Require(api.unsubscribe))
	mux.HandleFunc("PUT /api/v1/consumers/{id}/instances/{instance}", api.auth.Require(api.reportInstance))
	mux.HandleFunc("DELETE /api/v1/consumers/{id}/instances/{instance}", api.auth.Require(api.leaveInstance))
}

// issuedTypes are the command types the API issues; anything else a
// client sends is counted as "unknown", so that clients cannot mint
// label values.
var issuedTypes = map[command.Type]bool{
	command.RequestTopicType: true, command.ApproveTopicType: true,
	command.RejectTopicType: true, command.DeactivateTopicType: true,
}

// commandsIssued counts issues, all queued or all refused with err.
func (api *API) commandsIssued(err error, issues ...command.Issue) {
	outcome := "queued"
	if err != nil {
		switch code := httpjson.Status(err); {
		case code == http.StatusUnauthorized || code == http.StatusForbidden:
			outcome = "forbidden"
		case code >= 500:
			outcome = "error"
		default:
			outcome = "refused"
		}
	}
	for _, is := range issues {
		t := string(is.Type)
		if !issuedTypes[is.Type] {
			t = "unknown"
		}
		api.issued.WithLabelValues(t, outcome).Inc()
	}
}
