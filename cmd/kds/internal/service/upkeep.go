package service

import (
	"context"
	"time"

	"github.com/kds-io/kds/adapters/mysql"
	"github.com/kds-io/kds/app/command"
)

// reconcileLock lets one topic manager at a time compare kds with Kafka.
const reconcileLock = "kds.reconcile"

// reconcileLoop compares kds with Kafka on start and every
// topic_manager.reconcile_interval.
func (s *Service) reconcileLoop(ctx context.Context) {
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

func (s *Service) reconcile(ctx context.Context) {
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

// pruneOutbox deletes forwarded outbox rows older than outbox.retention,
// every outbox.prune_interval.
func (s *Service) pruneOutbox(ctx context.Context) {
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
