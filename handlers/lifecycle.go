package handlers

import (
	"encoding/json"
	"log/slog"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/topic"
)

// Lifecycle applies commands from kds.commands.
type Lifecycle struct {
	apply command.ApplyHandler
	log   *slog.Logger
}

// AddLifecycle adds the lifecycle handler to r, reading kds.commands from
// sub; it handles only what origin verifies.
func AddLifecycle(r *message.Router, sub message.Subscriber, origin OriginVerifier, apply command.ApplyHandler, log *slog.Logger) {
	h := Lifecycle{apply: apply, log: log}
	r.AddConsumerHandler(LifecycleHandler, topic.CommandsTopic, sub, h.Handle).AddMiddleware(verified(origin))
}

// Handle decodes and applies one command. A refused command has been
// recorded with its reason and is acknowledged.
func (h Lifecycle) Handle(msg *message.Message) error {
	var cmd command.Command
	if err := json.Unmarshal(msg.Payload, &cmd); err != nil {
		return &command.MalformedError{Err: err}
	}
	err := h.apply.Handle(msg.Context(), cmd)
	if command.IsRefusal(err) {
		noteRejected(msg.Context())
		h.log.Info("command refused", "command_id", cmd.ID, "type", cmd.Type, "topic", cmd.Topic, "reason", err.Error())
		return nil
	}
	return err
}
