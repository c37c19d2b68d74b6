package service

import (
	"context"
	"time"

	"github.com/wantsms/wantsms/store"
)

// runJobs starts the background jobs. Several instances may share one
// PostgreSQL database; of their jobs, those that must run on one of them
// at a time run under a lease (store.RunLeased): watching the open
// numbers (the engine's Lead), the purge and the payments' sweep. The
// mail and webhook queues run on every instance: each row is claimed
// under a lease of its own (store.ClaimMail, store.ClaimDelivery), so two
// instances never send the same one, and a mail or a post is sent by the
// instance whose write queued it, at once. Each instance takes its share
// of the upstream request budgets (shareLimits). On SQLite every lease is
// held and the budgets are whole.
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
	if s.Store.OnPostgres() {
		s.goRun(func() { s.shareLimits(ctx) })
	}
}

// shareLimits keeps this instance's upstream request budgets at its share
// of the whole: every instance calls the same upstream accounts, so with n
// instances alive each takes one n-th (provider.Router.ShareLimits),
// counted again every store.DefaultLeaseRetry. An instance that starts or
// dies changes the shares within that.
func (s *Service) shareLimits(ctx context.Context) {
	t := time.NewTicker(store.DefaultLeaseRetry)
	defer t.Stop()
	shared := 1
	for {
		if n, err := s.Store.Instances(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("count instances for the upstream budgets", "err", err)
		} else if err == nil && n != shared {
			shared = n
			s.nums.router.ShareLimits(n)
			s.log.Info("upstream request budgets shared", "instances", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
