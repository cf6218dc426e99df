package service_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kds-io/kds/adapters/httpapi/apiv1"
	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/query"
	"github.com/kds-io/kds/app/topic"
	"github.com/kds-io/kds/cmd/kds/internal/service"
	"github.com/kds-io/kds/cmd/kds/internal/service/servicetest"
)

// TestCommandsArrivingTogetherKeepTheirOrder: approvals and rejections of
// the same topics, queued one batch after the other while nothing applies
// them, reach the lifecycle together once it runs. Each topic is approved
// (its approval came first) and so activated; each rejection, refused
// since the topic is no longer pending, is recorded as rejected without
// failing or losing the approvals and activations stored with it.
func TestCommandsArrivingTogetherKeepTheirOrder(t *testing.T) {
	t.Parallel()
	const topics = 60
	cfg := servicetest.Config(t, service.RoleAPI)
	api := servicetest.Client(t, servicetest.Run(t, cfg))
	workers := cfg
	workers.Roles = []string{service.RoleLifecycle, service.RoleTopicManager, service.RoleForwarder}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	names := make([]string, topics)
	for i := range names {
		names[i] = fmt.Sprintf("svc-together-%02d", i)
	}
	stop := start(t, workers)
	batch(t, ctx, api, command.RequestTopicType, names)
	for _, n := range names {
		servicetest.WaitStatus(t, ctx, api, n, topic.Pending)
	}
	stop()

	approvals := batch(t, ctx, api, command.ApproveTopicType, names)
	rejections := batch(t, ctx, api, command.RejectTopicType, names)
	defer start(t, workers)()
	for _, n := range names {
		servicetest.WaitStatus(t, ctx, api, n, topic.Active)
	}
	for i := range names {
		servicetest.WaitCommand(t, ctx, api, approvals[i].ID, command.Applied)
		servicetest.WaitCommand(t, ctx, api, rejections[i].ID, command.Rejected)
	}
}

// start runs a service of cfg until the returned function stops it.
func start(t *testing.T, cfg service.Config) (stop func()) {
	t.Helper()
	_, stop = servicetest.Start(t, cfg)
	return stop
}

// batch issues one command of type typ for each of names in one batch.
func batch(t *testing.T, ctx context.Context, api interface {
	Batch(context.Context, apiv1.BatchRequest) ([]query.Command, error)
}, typ command.Type, names []string) []query.Command {
	t.Helper()
	cmds := make([]apiv1.BatchCommand, len(names))
	for i, n := range names {
		cmds[i] = apiv1.BatchCommand{Type: typ, Topic: n}
	}
	issued, err := api.Batch(ctx, apiv1.BatchRequest{Commands: cmds})
	if err != nil {
		t.Fatalf("%s batch: %v", typ, err)
	}
	return issued
}
