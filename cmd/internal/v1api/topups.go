package v1api

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/wantsms/wantsms/store"
)

// Orders listed: a screenful by default; the Wallet loads at most 50.
const (
	defaultOrders = 20
	maxOrders     = 50
	// maxTopUpCents bounds amount_cents before the payment desk sees it:
	// far above any configured top-up (the desk checks its own range).
	maxTopUpCents = 100_000_000
)

// orders lists the account's top-ups, newest first.
func (a *API) orders(c *call) error {
	limit, err := intParam(c, "limit", 1, maxOrders, defaultOrders)
	if err != nil {
		return err
	}
	list, err := a.d.Store.Orders(c.ctx, c.user.ID, limit)
	if err != nil {
		return err
	}
	now := a.d.Store.Now()
	out := ordersJSON{Orders: make([]orderJSON, 0, len(list))}
	for _, o := range list {
		out.Orders = append(out.Orders, orderOf(o, now, a.d.Payments.PayLink))
	}
	return c.reply(http.StatusOK, out)
}

// order is one of the account's top-ups by its number.
func (a *API) order(c *call) error {
	o, err := a.d.Store.UserOrder(c.ctx, c.user.ID, c.r.PathValue("order"))
	if err != nil {
		return err
	}
	return c.reply(http.StatusOK, orderOf(o, a.d.Store.Now(), a.d.Payments.PayLink))
}

type createTopUp struct {
	Method      string `json:"method"`
	AmountCents int64  `json:"amount_cents"`
}

// createTopUp opens a top-up as the Wallet does: a card payment (Stripe
// Checkout: our short link and Stripe's page) or a Bitcoin payment (an
// address and the exact amount at a locked price). The payment desk
// checks the amount, the account and the limits; nothing is charged
// here, and the credits come once the payment clears.
func (a *API) createTopUp(c *call) error {
	var req createTopUp
	if err := decode(c, &req); err != nil {
		return err
	}
	var open func(ctx context.Context, u store.User, cents int64) (store.Order, error)
	switch req.Method {
	case methodCard:
		open = a.d.Payments.OpenCard
	case methodBTC:
		open = a.d.Payments.OpenBitcoin
	default:
		return refuse(CodeBadRequest, `method is "card" or "btc"`)
	}
	if req.AmountCents < 1 || req.AmountCents > maxTopUpCents {
		return refuse(CodeBadRequest, fmt.Sprintf("amount_cents is a whole number of cents from 1 to %d "+
			"(1000 is $10.00)", maxTopUpCents))
	}
	o, err := open(c.ctx, c.user, req.AmountCents)
	if err != nil {
		return err
	}
	return a.replyOpened(c, o)
}

// replyOpened answers a top-up just opened.
func (a *API) replyOpened(c *call, o store.Order) error {
	c.w.Header().Set("Location", Prefix+"/orders/"+o.Number)
	return c.reply(http.StatusCreated, orderOf(o, a.d.Store.Now(), a.d.Payments.PayLink))
}

// resumeTopUp answers the order an idempotency key opened, as it is now.
func (a *API) resumeTopUp(c *call, resource string) error {
	number := strings.TrimPrefix(resource, "order:")
	if store.OrderRef(number) != resource {
		return fmt.Errorf("idempotency key names %q, not an order", resource)
	}
	o, err := a.d.Store.UserOrder(c.ctx, c.user.ID, number)
	if err != nil {
		return err
	}
	return a.replyOpened(c, o)
}
