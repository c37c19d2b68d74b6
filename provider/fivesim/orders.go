package fivesim

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
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

// Buy buys an activation with operator "any"; with a cap, maxPrice is
// sent, and a number charged above it anyway is cancelled at once.
func (c *Client) Buy(ctx context.Context, service, country string, maxCost provider.Micros) (provider.Number, error) {
	prod, cname, err := c.names("buy", service, country)
	if err != nil {
		return provider.Number{}, err
	}
	q := url.Values{}
	if maxCost > 0 {
		q.Set("maxPrice", provider.FormatAmount(maxCost, c.cfg.CurrencyRate))
	}
	var o order
	path := "/user/buy/activation/" + url.PathEscape(cname) + "/any/" + url.PathEscape(prod)
	if err := c.do(ctx, request{op: "buy", path: path, query: q, notFound: provider.ErrBadService}, &o); err != nil {
		return provider.Number{}, err
	}
	ref, err := orderID(o.ID)
	if err != nil {
		return provider.Number{}, c.garbage("buy", err)
	}
	n, err := c.number(ref, o, country)
	if err != nil {
		return provider.Number{}, c.garbage("buy", err)
	}
	if maxCost > 0 && n.Cost > maxCost {
		cerr := c.Cancel(ctx, ref)
		return provider.Number{}, errors.Join(fmt.Errorf("%s buy: charged %v over %v: %w", c.cfg.Name, n.Cost, maxCost, provider.ErrMaxPrice), cerr)
	}
	return n, nil
}

func (c *Client) number(ref string, o order, country string) (provider.Number, error) {
	phone, err := provider.NormalizePhone(o.Phone, country)
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
	state, ok := states[o.Status]
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
