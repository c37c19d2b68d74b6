package sim

import (
	"context"
	"fmt"
	"slices"

	"github.com/wantsms/wantsms/provider"
)

// lookup finds an open-or-ended activation and brings it up to date:
// an SMS that fell due is delivered (its sinks are returned to call after
// unlocking), and a number past its end with no SMS expires. Called with
// s.mu held.
func (s *Sim) lookup(op, ref string) (*activation, []pushed, error) {
	a := s.acts[ref]
	if a == nil {
		return nil, nil, fmt.Errorf("%s %s %q: %w", s.opt.Name, op, ref, provider.ErrUnknownActivation)
	}
	now := s.opt.Clock.Now()
	var out []pushed
	if a.timer != nil && !a.due.After(now) {
		s.stopTimer(a)
		out = append(out, pushed{ref, s.deliver(a)})
	}
	if a.state == provider.Waiting && !now.Before(a.expires) {
		s.stopTimer(a)
		a.state = provider.Expired
	}
	return a, out, nil
}

// pushed is a message to hand to the sinks once the lock is released.
type pushed struct {
	ref string
	m   provider.Message
}

// with runs f on an activation under the lock, then tells the sinks about
// any message that fell due meanwhile.
func (s *Sim) with(ctx context.Context, op, ref string, f func(a *activation) error) error {
	if err := s.lockOpen(ctx); err != nil {
		return err
	}
	a, due, err := s.lookup(op, ref)
	if err == nil {
		err = f(a)
	}
	sinks := slices.Clone(s.sinks)
	if len(due) > 0 {
		s.running.Add(1)
	}
	s.mu.Unlock()
	if len(due) > 0 {
		defer s.running.Done()
		for _, p := range due {
			for _, sink := range sinks {
				sink(p.ref, p.m)
			}
		}
	}
	return err
}

// Check reports the activation's state and all its messages.
func (s *Sim) Check(ctx context.Context, ref string) (provider.Status, error) {
	var st provider.Status
	err := s.with(ctx, "check", ref, func(a *activation) error {
		st = provider.Status{State: a.state, Messages: slices.Clone(a.msgs)}
		return nil
	})
	return st, err
}

// Cancel gives the number back; not after an SMS came (like upstream).
// The early-cancel guard is not simulated: the engine enforces our own.
func (s *Sim) Cancel(ctx context.Context, ref string) error {
	return s.end(ctx, "cancel", ref, provider.Cancelled)
}

// Ban reports the number banned by the target service, which ends it.
func (s *Sim) Ban(ctx context.Context, ref string) error {
	return s.end(ctx, "ban", ref, provider.Banned)
}

func (s *Sim) end(ctx context.Context, op, ref string, to provider.State) error {
	return s.with(ctx, op, ref, func(a *activation) error {
		switch a.state {
		case to:
			return nil // already done: cancelling twice is harmless
		case provider.Waiting, provider.Expired:
			s.stopTimer(a)
			a.state = to
			return nil
		}
		return fmt.Errorf("%s %s %s: state %s: %w", s.opt.Name, op, ref, a.state, provider.ErrBadState)
	})
}

// Finish closes the activation.
func (s *Sim) Finish(ctx context.Context, ref string) error {
	return s.with(ctx, "finish", ref, func(a *activation) error {
		switch a.state {
		case provider.Finished:
			return nil
		case provider.Waiting, provider.Received:
			s.stopTimer(a)
			a.state = provider.Finished
			return nil
		}
		return fmt.Errorf("%s finish %s: state %s: %w", s.opt.Name, ref, a.state, provider.ErrBadState)
	})
}

// Again asks for another SMS on a received number; a new code comes after
// the usual delay.
func (s *Sim) Again(ctx context.Context, ref string) error {
	return s.with(ctx, "again", ref, func(a *activation) error {
		if a.state != provider.Received {
			return fmt.Errorf("%s again %s: state %s: %w", s.opt.Name, ref, a.state, provider.ErrBadState)
		}
		if a.timer == nil {
			s.schedule(a, s.delay(s.rngFor(0x616761, uint64(len(a.msgs))<<32|s.seq))) // "aga(in)"
		}
		return nil
	})
}
