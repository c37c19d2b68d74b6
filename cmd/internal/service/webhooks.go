package service

import "github.com/wantsms/wantsms/cmd/internal/webhook"

// startWebhooks prepares the worker that posts people's webhooks. Private
// addresses allowed is said in the log at start: an operator should know
// that people may point webhooks at this machine's network.
func (s *Service) startWebhooks() {
	cfg := s.cfg.Webhooks
	if cfg.Log == nil {
		cfg.Log = s.log
	}
	s.hooks = webhook.New(s.Store, cfg)
	if cfg.AllowPrivate {
		s.log.Warn("webhooks may point at private and loopback addresses (--webhook-allow-private): " +
			"people can make this server post to its own network")
	}
}

// Webhooks is the running webhook worker.
func (s *Service) Webhooks() *webhook.Worker { return s.hooks }
