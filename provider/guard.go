package provider

import (
	"context"
	"fmt"
	"time"
)

// guarded wraps a Provider so every upstream call waits for the rate
// limit and is counted in the provider's Stats.
type guarded struct {
	p     Provider
	lim   *Limiter
	stats *Stats
	now   func() time.Time
}

var (
	_ Provider       = (*guarded)(nil)
	_ Banner         = (*guarded)(nil)
	_ OperatorSeller = (*guarded)(nil)
)

// call runs f under the limit and records it.
func (g *guarded) call(ctx context.Context, op string, f func() error) error {
	err := g.lim.Wait(ctx)
	if err != nil {
		err = fmt.Errorf("%s %s: %w: %v", g.p.Name(), op, ErrUnavailable, err)
	} else {
		err = f()
	}
	g.stats.record(op, err, g.now())
	return err
}

func (g *guarded) Name() string { return g.p.Name() }

// Unwrap is the provider underneath, for optional interfaces such as
// Pusher.
func (g *guarded) Unwrap() Provider { return g.p }

func (g *guarded) Catalogue(ctx context.Context) (out []Offer, err error) {
	err = g.call(ctx, "catalogue", func() (e error) { out, e = g.p.Catalogue(ctx); return })
	return out, err
}

func (g *guarded) Buy(ctx context.Context, service, country string, maxCost Micros) (n Number, err error) {
	err = g.call(ctx, "buy", func() (e error) { n, e = g.p.Buy(ctx, service, country, maxCost); return })
	return n, err
}

func (g *guarded) Check(ctx context.Context, ref string) (st Status, err error) {
	err = g.call(ctx, "check", func() (e error) { st, e = g.p.Check(ctx, ref); return })
	return st, err
}

func (g *guarded) Cancel(ctx context.Context, ref string) error {
	return g.call(ctx, "cancel", func() error { return g.p.Cancel(ctx, ref) })
}

func (g *guarded) Finish(ctx context.Context, ref string) error {
	return g.call(ctx, "finish", func() error { return g.p.Finish(ctx, ref) })
}

func (g *guarded) Again(ctx context.Context, ref string) error {
	return g.call(ctx, "again", func() error { return g.p.Again(ctx, ref) })
}

func (g *guarded) Balance(ctx context.Context) (b Micros, err error) {
	err = g.call(ctx, "balance", func() (e error) { b, e = g.p.Balance(ctx); return })
	return b, err
}

// sellsOperators reports whether the provider sells by operator.
func (g *guarded) sellsOperators() bool {
	_, ok := g.p.(OperatorSeller)
	return ok
}

// Operators forwards to the provider's Operators, or is ErrNotSupported.
func (g *guarded) Operators(ctx context.Context, service, country string) (out []OperatorOffer, err error) {
	s, ok := g.p.(OperatorSeller)
	if !ok {
		return nil, fmt.Errorf("%s operators: %w", g.p.Name(), ErrNotSupported)
	}
	err = g.call(ctx, "operators", func() (e error) { out, e = s.Operators(ctx, service, country); return })
	return out, err
}

// BuyOperator forwards to the provider's BuyOperator, or is
// ErrNotSupported.
func (g *guarded) BuyOperator(ctx context.Context, service, country, operator string, maxCost Micros) (n Number, err error) {
	s, ok := g.p.(OperatorSeller)
	if !ok {
		return Number{}, fmt.Errorf("%s buy from %s: %w", g.p.Name(), operator, ErrNotSupported)
	}
	err = g.call(ctx, "buy", func() (e error) { n, e = s.BuyOperator(ctx, service, country, operator, maxCost); return })
	return n, err
}

// Ban forwards to the provider's Ban, or is ErrNotSupported.
func (g *guarded) Ban(ctx context.Context, ref string) error {
	b, ok := g.p.(Banner)
	if !ok {
		return fmt.Errorf("%s ban: %w", g.p.Name(), ErrNotSupported)
	}
	return g.call(ctx, "ban", func() error { return b.Ban(ctx, ref) })
}
