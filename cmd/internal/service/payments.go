package service

import (
	"fmt"

	"github.com/wantsms/wantsms/billing"
)

// startPayments builds the payment desk once the HTTP listener is bound,
// so that links default to its real address.
func (s *Service) startPayments() error {
	cfg := s.cfg.Payments
	if cfg.PublicURL == "" {
		cfg.PublicURL = "http://" + s.httpL.Addr().String()
	}
	if cfg.Log == nil {
		cfg.Log = s.log
	}
	pay, err := billing.NewPayments(s.Store, cfg)
	if err != nil {
		return fmt.Errorf("payments: %w", err)
	}
	s.pay = pay
	s.log.Info("payments", "card", pay.CardReady(), "bitcoin", pay.BitcoinReady(), "public_url", cfg.PublicURL)
	return nil
}

// Payments is the running payment desk.
func (s *Service) Payments() *billing.Payments { return s.pay }
