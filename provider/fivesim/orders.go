package fivesim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wantsms/wantsms/provider"
)

// order is 5sim's order (protocol doc §2).
type order struct {
	ID      provider.Numeric `json:"id"`
	Phone   string           `json:"phone"`
	Price   provider.Numeric `json:"price"`
	Status  string           `json:"status"`
	Expires string           `json:"expires"`
	SMS     []sms            `json:"sms"`
}

type sms struct {
	ID        provider.Numeric `json:"id"`
	CreatedAt string           `json:"created_at"`
	Date      string           `json:"date"`
	Sender    string           `json:"sender"`
	Text      string           `json:"text"`
	Code      string           `json:"code"`
}

// states maps 5sim's order statuses; RECEIVED means "number issued", an
// SMS came only when sms[] is not empty.
var states = map[string]provider.State{
	"PENDING": provider.Waiting, "RECEIVED": provider.Waiting, "CANCELED": provider.Cancelled,
	"TIMEOUT": provider.Expired, "FINISHED": provider.Finished, "BANNED": provider.Banned,
}

// stateOf reads an order's status, in whatever case it comes.
func stateOf(status string) (provider.State, bool) {
	st, ok := states[strings.ToUpper(strings.TrimSpace(status))]
	return st, ok
}

// Buy buys an activation with operator "any" (see BuyOperator).
func (c *Client) Buy(ctx context.Context, service, country string, maxCost provider.Micros) (provider.Number, error) {
	return c.buy(ctx, service, country, provider.AnyOperator, maxCost)
}

// BuyOperator buys an activation of one operator's numbers; with a cap,
// maxPrice is sent. An order we cannot use (charged above the cap anyway,
// or an answer we cannot read that still names an order) is cancelled at
// once.
func (c *Client) BuyOperator(ctx context.Context, service, country, operator string, maxCost provider.Micros) (provider.Number, error) {
	if !provider.ValidOperator(operator) {
		return provider.Number{}, fmt.Errorf("%s buy %s/%s: operator %q: %w", c.cfg.Name, service, country, operator,
			provider.ErrBadService)
	}
	return c.buy(ctx, service, country, operator, maxCost)
}

func (c *Client) buy(ctx context.Context, service, country, operator string, maxCost provider.Micros) (provider.Number, error) {
	prod, cname, err := c.names("buy", service, country)
	if err != nil {
		return provider.Number{}, err
	}
	q := url.Values{}
	if maxCost > 0 {
		q.Set("maxPrice", provider.FormatAmount(maxCost, c.cfg.CurrencyRate))
	}
	var answer json.RawMessage
	path := "/user/buy/activation/" + url.PathEscape(cname) + "/" + url.PathEscape(operator) + "/" + url.PathEscape(prod)
	if err := c.do(ctx, request{op: "buy", path: path, query: q, notFound: provider.ErrBadService}, &answer); err != nil {
		return provider.Number{}, err
	}
	if sentinel := textError(errText(answer)); sentinel != nil && !bytes.HasPrefix(answer, []byte("{")) {
		return provider.Number{}, fmt.Errorf("%s buy: %w (upstream %s)", c.cfg.Name, sentinel, provider.Excerpt(answer))
	}
	ref, named := namedOrder(answer)
	n, err := c.boughtOrder(answer, country)
	switch {
	case err != nil:
		return provider.Number{}, c.giveBack(ctx, ref, named, c.garbage("buy", err))
	case maxCost > 0 && n.Cost > maxCost:
		return provider.Number{}, c.giveBack(ctx, ref, named,
			fmt.Errorf("%s buy: charged %v over %v: %w", c.cfg.Name, n.Cost, maxCost, provider.ErrMaxPrice))
	}
	return n, nil
}

// namedOrder is the order id a buy's answer names, if it names one,
// whatever else it holds: an order it names is ours at 5sim.
func namedOrder(answer []byte) (string, bool) {
	var o struct {
		ID provider.Numeric `json:"id"`
	}
	if json.Unmarshal(answer, &o) != nil {
		return "", false
	}
	ref, err := orderID(o.ID)
	return ref, err == nil
}

// boughtOrder reads a buy's answer: an order waiting for its SMS.
func (c *Client) boughtOrder(answer []byte, country string) (provider.Number, error) {
	var o order
	if err := json.Unmarshal(answer, &o); err != nil {
		return provider.Number{}, err
	}
	ref, err := orderID(o.ID)
	if err != nil {
		return provider.Number{}, err
	}
	if st, ok := stateOf(o.Status); !ok || st != provider.Waiting {
		return provider.Number{}, fmt.Errorf("new order in status %q", o.Status)
	}
	return c.number(ref, o, country)
}

// giveBack cancels an order a buy's answer named but that we cannot use,
// so that it is not paid for nothing, and logs it. It returns why the
// answer was refused, with the cancel's failure if any.
func (c *Client) giveBack(ctx context.Context, ref string, named bool, why error) error {
	if !named {
		return why
	}
	// The caller may be gone (a person who disconnected): the order is
	// ours at 5sim all the same.
	gctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), DefaultTimeout)
	defer cancel()
	if err := c.Cancel(gctx, ref); err != nil {
		c.cfg.Log.ErrorContext(ctx, "could not cancel an order we cannot use", "provider", c.cfg.Name, "ref", ref,
			"why", why, "err", err)
		return errors.Join(why, err)
	}
	c.cfg.Log.WarnContext(ctx, "cancelled an order we cannot use", "provider", c.cfg.Name, "ref", ref, "why", why)
	return why
}

func (c *Client) number(ref string, o order, country string) (provider.Number, error) {
	phone, err := provider.NormalizePhone(strings.TrimSpace(o.Phone), country)
	if err != nil {
		return provider.Number{}, err
	}
	cost, err := o.Price.Micros(c.cfg.CurrencyRate)
	if err == nil && cost < 0 {
		err = fmt.Errorf("negative price %q", o.Price)
	}
	if err != nil {
		return provider.Number{}, err
	}
	exp, err := time.Parse(time.RFC3339Nano, o.Expires)
	if err != nil {
		return provider.Number{}, fmt.Errorf("expires %q: %v", o.Expires, err)
	}
	return provider.Number{Ref: ref, Phone: phone, Cost: cost, ExpiresAt: exp}, nil
}

// Check reads the order and every SMS it got so far.
func (c *Client) Check(ctx context.Context, ref string) (provider.Status, error) {
	o, err := c.orderCall(ctx, "check", ref)
	if err != nil {
		return provider.Status{}, err
	}
	state, ok := stateOf(o.Status)
	if !ok {
		return provider.Status{}, c.garbage("check", fmt.Errorf("status %q", o.Status))
	}
	st := provider.Status{State: state}
	for _, s := range o.SMS {
		st.Messages = append(st.Messages, message(s))
	}
	if state == provider.Waiting && len(st.Messages) > 0 {
		st.State = provider.Received
	}
	return st, nil
}

// message converts one SMS; its id is 5sim's when given, else derived
// from its time and text.
func message(s sms) provider.Message {
	code := s.Code
	if code == "" {
		code = provider.ExtractCode(s.Text)
	}
	id := "5sim-" + string(s.ID)
	if n, err := s.ID.Int(); err != nil || n <= 0 {
		id = provider.MessageID("", s.CreatedAt+"\x00"+s.Text)
	}
	at, err := time.Parse(time.RFC3339Nano, s.CreatedAt)
	if err != nil {
		at, _ = time.Parse(time.RFC3339Nano, s.Date)
	}
	return provider.Message{ID: id, Sender: s.Sender, Text: s.Text, Code: code, ReceivedAt: at}
}

// Cancel cancels the order, refunded when no SMS came.
func (c *Client) Cancel(ctx context.Context, ref string) error {
	_, err := c.orderCall(ctx, "cancel", ref)
	return err
}

// Finish finishes the order.
func (c *Client) Finish(ctx context.Context, ref string) error {
	_, err := c.orderCall(ctx, "finish", ref)
	return err
}

// Ban reports the number banned by the target service.
func (c *Client) Ban(ctx context.Context, ref string) error {
	_, err := c.orderCall(ctx, "ban", ref)
	return err
}

// Again is not supported: a 5sim activation has no "another SMS" call;
// further SMS simply arrive while the order is open and Check returns them.
func (c *Client) Again(context.Context, string) error {
	return fmt.Errorf("%s again: %w", c.cfg.Name, provider.ErrNotSupported)
}

// SupportsAgain: no, see Again.
func (c *Client) SupportsAgain() bool { return false }

func (c *Client) orderCall(ctx context.Context, op, ref string) (order, error) {
	if _, err := orderID(provider.Numeric(ref)); err != nil {
		return order{}, fmt.Errorf("%s %s %q: %w", c.cfg.Name, op, ref, provider.ErrUnknownActivation)
	}
	var o order
	err := c.do(ctx, request{op: op, path: "/user/" + op + "/" + ref, notFound: provider.ErrUnknownActivation}, &o)
	return o, err
}

func orderID(n provider.Numeric) (string, error) {
	id, err := n.Int()
	if err != nil || id <= 0 {
		return "", fmt.Errorf("order id %q", n)
	}
	return strconv.FormatInt(id, 10), nil
}

func (c *Client) garbage(op string, err error) error {
	return fmt.Errorf("%s %s: %w: %v", c.cfg.Name, op, provider.ErrUnavailable, err)
}

func (c *Client) names(op, service, country string) (string, string, error) {
	prod, ok := products[service]
	cname, ok2 := countryNames[country]
	if !ok || !ok2 {
		return "", "", fmt.Errorf("%s %s %s/%s: not sold here: %w", c.cfg.Name, op, service, country, provider.ErrBadService)
	}
	return prod, cname, nil
}
