package service

import (
	"context"

	"github.com/wantsms/wantsms/store"
)

// runJobs starts the background jobs. Several instances may share one
// PostgreSQL database; of their jobs, those that must run on one of them
// at a time run under a lease (store.RunLeased): watching the open
// numbers (the engine's Lead), the purge and the payments' sweep. The
// mail and webhook queues run on every instance: each row is claimed
// under a lease of its own (store.ClaimMail, store.ClaimDelivery), so two
// instances never send the same one, and a mail or a post is sent by the
// instance whose write queued it, at once. On SQLite every lease is held.
func (s *Service) runJobs(ctx context.Context) {
	s.goRun(func() { s.Store.RunLeased(ctx, store.LeaseNumbers, s.nums.engine.Lead) })
	s.goRun(func() {
		s.Store.RunLeased(ctx, store.LeasePurge, func(ctx context.Context) {
			s.Store.RunPurge(ctx, s.cfg.PurgeInterval, s.logPurge)
		})
	})
	s.goRun(func() {
		s.Store.RunLeased(ctx, store.LeasePayments, func(ctx context.Context) {
			s.pay.RunSweep(ctx, s.cfg.SweepInterval)
		})
	})
	s.goRun(func() { s.mail.Run(ctx) })
	s.goRun(func() { s.hooks.Run(ctx) })
}
