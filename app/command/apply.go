package command

import (
	"context"
	"errors"
	"fmt"

	"github.com/kds-io/kds/app/topic"
)

// ApplyHandler carries out commands from kds.commands.
type ApplyHandler struct {
	topics TopicRepository
	limits topic.Limits
}

// NewApplyHandler applies commands to topics, holding requested specs to
// limits.
func NewApplyHandler(topics TopicRepository, limits topic.Limits) ApplyHandler {
	return ApplyHandler{topics: topics, limits: limits}
}

// Handle applies cmd. A redelivered command returns nil; a refused one
// returns the refusal after it has been recorded.
func (h ApplyHandler) Handle(ctx context.Context, cmd Command) error {
	if err := cmd.validateShape(); err != nil {
		return err
	}
	r, err := ruleFor(cmd.Type)
	if err != nil {
		return &MalformedError{Err: err}
	}
	err = h.topics.Update(ctx, cmd, r.decide(cmd, h.limits))
	if errors.Is(err, ErrAlreadyHandled) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s %q (command %s): %w", cmd.Type, cmd.Topic, cmd.ID, err)
	}
	return nil
}
