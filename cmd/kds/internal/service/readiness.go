package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/kds-io/kds/adapters/httpapi"
	"github.com/kds-io/kds/adapters/mysql"
)

// readinessChecks are what /readyz asks: MySQL, Kafka, whether the outbox
// is moving, and whether the router runs.
func (s *Service) readinessChecks() []httpapi.Check {
	return []httpapi.Check{
		{Name: "mysql", Fn: func(ctx context.Context) error {
			if err := s.db.PingContext(ctx); err != nil {
				return mysql.Unreachable(s.cfg.MySQL.Where(), err)
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
