package handlers

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/topic"
)

// Metrics counts what the handlers of one router do, for Prometheus:
// commands handled by the lifecycle handler and the topic manager,
// lifecycle transitions seen by the event feed, messages kds did not
// write, and handler errors. The
// application knows nothing of it: it is a router middleware that reads
// the messages and the handlers' results.
type Metrics struct {
	handled     *prometheus.CounterVec
	transitions *prometheus.CounterVec
	unverified  *prometheus.CounterVec
	errors      *prometheus.CounterVec
}

// Outcomes of a handled command.
const (
	outcomeApplied = "applied"
	// outcomeRejected: the lifecycle forbids the command; it is recorded
	// as rejected and acknowledged.
	outcomeRejected = "rejected"
	// outcomeFailed: a permanent error; the message goes to kds.poison.
	outcomeFailed = "failed"
	// outcomeError: a retriable error; the attempt is retried.
	outcomeError = "error"
)

// NewMetrics registers the handlers' metrics with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		handled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kds_commands_handled_total",
			Help: "Attempts to handle a command in this process, by type and outcome: applied (or found already applied), rejected by the lifecycle, failed (permanently; sent to kds.poison) or error (retried). ActivateTopic and DeleteTopic are the topic manager's.",
		}, []string{"type", "outcome"}),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kds_topic_transitions_total",
			Help: "Lifecycle transitions on kds.events, by action, as this process's event feed (the api role) reads them; every api process sees every transition.",
		}, []string{"action"}),
		unverified: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kds_unverified_messages_total",
			Help: "Messages on kds.commands or kds.events without a valid signature of kds, by handler: never acted on; the lifecycle handler and the topic manager send them to kds.poison, the event feed skips them.",
		}, []string{"handler"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kds_handler_errors_total",
			Help: "Errors returned by a Watermill handler attempt in this process, by handler; retried or sent to kds.poison by the middleware.",
		}, []string{"handler"}),
	}
	for _, c := range []prometheus.Collector{m.handled, m.transitions, m.unverified, m.errors} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register handler metrics: %w", err)
		}
	}
	return m, nil
}

// topicManagerCommands names the internal command the topic manager
// carries out for an event.
var topicManagerCommands = map[topic.EventType]command.Type{
	topic.TopicApproved:    command.ActivateTopicType,
	topic.TopicDeactivated: command.DeleteTopicType,
}

// knownCommandTypes bounds the type label to the types kds has.
var knownCommandTypes = map[command.Type]bool{
	command.RequestTopicType: true, command.ApproveTopicType: true, command.RejectTopicType: true,
	command.DeactivateTopicType: true, command.ActivateTopicType: true, command.DeleteTopicType: true,
}

// Middleware counts each attempt of every handler. Add it to the router
// last, so that it sits inside the retry and poison middleware and sees
// each attempt's own result.
func (m *Metrics) Middleware(h message.HandlerFunc) message.HandlerFunc {
	return func(msg *message.Message) ([]*message.Message, error) {
		handler := message.HandlerNameFromCtx(msg.Context())
		note := &outcomeNote{}
		msg.SetContext(context.WithValue(msg.Context(), outcomeKey{}, note))
		out, err := h(msg)
		if err != nil {
			m.errors.WithLabelValues(handler).Inc()
		}
		if note.unverified {
			m.unverified.WithLabelValues(handler).Inc()
			return out, err
		}
		switch handler {
		case LifecycleHandler:
			m.countHandled(commandType(msg.Payload), err, note)
		case TopicManagerHandler:
			if t, ok := topicManagerCommands[eventType(msg.Payload)]; ok {
				m.countHandled(string(t), err, note)
			}
		case EventFeedHandler:
			if a, ok := eventType(msg.Payload).Action(); ok {
				m.transitions.WithLabelValues(string(a)).Inc()
			}
		}
		return out, err
	}
}

func (m *Metrics) countHandled(cmdType string, err error, note *outcomeNote) {
	outcome := outcomeApplied
	switch {
	case err != nil && isPermanent(err):
		outcome = outcomeFailed
	case err != nil:
		outcome = outcomeError
	case note.rejected:
		outcome = outcomeRejected
	}
	m.handled.WithLabelValues(cmdType, outcome).Inc()
}

// outcomeNote lets a handler tell the metrics middleware what its result
// does not: that it acknowledged a refused command, or a message kds did
// not write.
type outcomeNote struct{ rejected, unverified bool }

type outcomeKey struct{}

// noteRejected records that the command in ctx's message was refused.
func noteRejected(ctx context.Context) {
	if n, ok := ctx.Value(outcomeKey{}).(*outcomeNote); ok {
		n.rejected = true
	}
}

// noteUnverified records that the message in ctx is not kds's.
func noteUnverified(ctx context.Context) {
	if n, ok := ctx.Value(outcomeKey{}).(*outcomeNote); ok {
		n.unverified = true
	}
}

// commandType reads a command's type for a label: "malformed" when the
// message is not a command, "unknown" for a type kds does not have.
func commandType(payload []byte) string {
	var c struct {
		Type command.Type `json:"type"`
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return "malformed"
	}
	if !knownCommandTypes[c.Type] {
		return "unknown"
	}
	return string(c.Type)
}

func eventType(payload []byte) topic.EventType {
	var e struct {
		Type topic.EventType `json:"type"`
	}
	if err := json.Unmarshal(payload, &e); err != nil {
		return ""
	}
	return e.Type
}
