package smsactivate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/wantsms/wantsms/provider"
)

// Buy rents a number of any operator (see BuyOperator).
func (c *Client) Buy(ctx context.Context, service, country string, maxCost provider.Micros) (provider.Number, error) {
	return c.buy(ctx, service, country, "", maxCost)
}

// BuyOperator rents a number of one operator (getNumber's operator
// parameter). With a cap, the price is checked first (a quote, or the
// charged cost with NumberV2) and sent as maxPrice.
func (c *Client) BuyOperator(ctx context.Context, service, country, operator string, maxCost provider.Micros) (provider.Number, error) {
	if !provider.ValidOperator(operator) {
		return provider.Number{}, fmt.Errorf("%s getNumber %s/%s: operator %q: %w", c.cfg.Name, service, country,
			operator, provider.ErrBadService)
	}
	return c.buy(ctx, service, country, operator, maxCost)
}

func (c *Client) buy(ctx context.Context, service, country, operator string, maxCost provider.Micros) (provider.Number, error) {
	svc, cid, err := c.codes("getNumber", service, country)
	if err != nil {
		return provider.Number{}, err
	}
	params := url.Values{"service": {svc}, "country": {cid}}
	if operator != "" {
		params.Set("operator", operator)
	}
	if maxCost > 0 {
		params.Set("maxPrice", provider.FormatAmount(maxCost, c.cfg.CurrencyRate))
	}
	if c.cfg.NumberV2 {
		return c.buyV2(ctx, country, params, maxCost)
	}
	q, err := c.Quote(ctx, service, country)
	switch {
	case err != nil:
		return provider.Number{}, err
	case q.Stock == 0:
		return provider.Number{}, fmt.Errorf("%s getNumber %s/%s: stock 0: %w", c.cfg.Name, service, country, provider.ErrNoNumbers)
	case maxCost > 0 && q.Cost > maxCost:
		return provider.Number{}, fmt.Errorf("%s getNumber %s/%s: cost %v over %v: %w", c.cfg.Name, service, country, q.Cost, maxCost, provider.ErrMaxPrice)
	}
	answer, err := c.call(ctx, "getNumber", params)
	if err != nil {
		return provider.Number{}, err
	}
	ref, named := namedActivation(answer)
	phone, err := c.accessNumberPhone(answer, country)
	if err != nil {
		return provider.Number{}, c.giveBack(ctx, "getNumber", ref, named, err)
	}
	return provider.Number{Ref: ref, Phone: phone, Cost: q.Cost}, nil
}

// accessNumberRef is the activation id an ACCESS_NUMBER:<id>:<phone>
// answer names, if it names one. Clones vary the form: the word in lower
// case, spaces around fields, more fields after the phone.
func accessNumberRef(answer string) (string, bool) {
	fields := strings.Split(answer, ":")
	if len(fields) < 2 || !strings.EqualFold(strings.TrimSpace(fields[0]), "ACCESS_NUMBER") {
		return "", false
	}
	ref, err := parseID(strings.TrimSpace(fields[1]))
	return ref, err == nil
}

// accessNumberPhone is the number of an ACCESS_NUMBER answer in E.164:
// the third field, with or without '+', spaced or not, in the country it
// was bought for.
func (c *Client) accessNumberPhone(answer, country string) (string, error) {
	fields := strings.Split(answer, ":")
	if _, named := accessNumberRef(answer); !named || len(fields) < 3 {
		return "", c.unexpected("getNumber", answer)
	}
	phone, err := provider.NormalizePhone(strings.TrimSpace(fields[2]), country)
	if err != nil {
		return "", fmt.Errorf("%s getNumber: %w: %v in %s", c.cfg.Name, provider.ErrUnavailable, err, provider.Excerpt([]byte(answer)))
	}
	return phone, nil
}

// giveBack cancels (setStatus 8) an activation an answer named but that
// we cannot use, so that it is not paid for nothing, and logs it. It
// returns why the answer was refused, with the cancel's failure if any.
func (c *Client) giveBack(ctx context.Context, action, ref string, named bool, why error) error {
	if !named {
		return why
	}
	// The caller may be gone (a person who disconnected): the activation
	// is ours upstream all the same.
	gctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), DefaultTimeout)
	defer cancel()
	if err := c.Cancel(gctx, ref); err != nil {
		c.cfg.Log.ErrorContext(ctx, "could not give back an activation we cannot use", "provider", c.cfg.Name,
			"action", action, "ref", ref, "why", why, "err", err)
		return errors.Join(why, err)
	}
	c.cfg.Log.WarnContext(ctx, "gave back an activation we cannot use", "provider", c.cfg.Name, "action", action,
		"ref", ref, "why", why)
	return why
}

// numberV2 is getNumberV2's answer (protocol doc §1.5).
type numberV2 struct {
	ActivationID   provider.Numeric `json:"activationId"`
	PhoneNumber    provider.Numeric `json:"phoneNumber"`
	ActivationCost provider.Numeric `json:"activationCost"`
}

func (c *Client) buyV2(ctx context.Context, country string, params url.Values, maxCost provider.Micros) (provider.Number, error) {
	answer, err := c.call(ctx, "getNumberV2", params)
	if err != nil {
		return provider.Number{}, err
	}
	ref, named := namedActivation(answer)
	n, err := c.numberV2(answer, country)
	switch {
	case err != nil:
		return provider.Number{}, c.giveBack(ctx, "getNumberV2", ref, named, err)
	case maxCost > 0 && n.Cost > maxCost:
		// Upstream ignored our maxPrice: give the number straight back.
		return provider.Number{}, c.giveBack(ctx, "getNumberV2", ref, named,
			fmt.Errorf("%s getNumberV2: charged %v over %v: %w", c.cfg.Name, n.Cost, maxCost, provider.ErrMaxPrice))
	}
	return n, nil
}

// namedActivation is the activation id an answer to getNumber or
// getNumberV2 names, in either form, whatever else it holds (an error
// status, fields we cannot read): an activation it names is ours upstream.
func namedActivation(answer string) (string, bool) {
	if ref, ok := accessNumberRef(answer); ok {
		return ref, true
	}
	var v struct {
		ActivationID provider.Numeric `json:"activationId"`
	}
	if !strings.HasPrefix(answer, "{") || json.Unmarshal([]byte(answer), &v) != nil {
		return "", false
	}
	ref, err := parseID(string(v.ActivationID))
	return ref, err == nil
}

// numberV2 reads getNumberV2's answer; the phone may come with '+'.
func (c *Client) numberV2(answer, country string) (provider.Number, error) {
	var v numberV2
	if err := c.decodeJSON("getNumberV2", answer, &v); err != nil {
		return provider.Number{}, err
	}
	ref, err := parseID(string(v.ActivationID))
	if err != nil {
		return provider.Number{}, c.unexpected("getNumberV2", answer)
	}
	phone, perr := provider.NormalizePhone(strings.TrimSpace(string(v.PhoneNumber)), country)
	cost, cerr := v.ActivationCost.Micros(c.cfg.CurrencyRate)
	if perr != nil || cerr != nil || cost < 0 {
		return provider.Number{}, c.unexpected("getNumberV2", answer)
	}
	return provider.Number{Ref: ref, Phone: phone, Cost: cost}, nil
}

// Check polls getStatus and, once a code came, fetches the full text.
func (c *Client) Check(ctx context.Context, ref string) (provider.Status, error) {
	if _, err := parseID(ref); err != nil {
		return provider.Status{}, fmt.Errorf("%s getStatus %q: %w", c.cfg.Name, ref, provider.ErrUnknownActivation)
	}
	answer, err := c.call(ctx, "getStatus", url.Values{"id": {ref}})
	if err != nil {
		return provider.Status{}, err
	}
	word, code, hasCode := strings.Cut(answer, ":")
	switch {
	case answer == "STATUS_WAIT_CODE", answer == "STATUS_WAIT_RESEND":
		return provider.Status{State: provider.Waiting}, nil
	case answer == "STATUS_CANCEL":
		return provider.Status{State: provider.Cancelled}, nil
	case answer == "STATUS_WAIT_RETRY":
		return provider.Status{State: provider.Received}, nil
	case word == "STATUS_WAIT_RETRY" && hasCode && code != "":
		// waiting for another code; the previous one is repeated
		return provider.Status{State: provider.Received, Messages: []provider.Message{c.message(code, "")}}, nil
	case word == "STATUS_OK" && hasCode && code != "":
		text, err := c.fullSMS(ctx, ref)
		if err != nil {
			return provider.Status{}, err
		}
		return provider.Status{State: provider.Received, Messages: []provider.Message{c.message(code, text)}}, nil
	}
	return provider.Status{}, c.unexpected("getStatus", answer)
}

func (c *Client) message(code, text string) provider.Message {
	return provider.Message{ID: provider.MessageID(code, text), Text: text, Code: code, ReceivedAt: c.cfg.Now()}
}

// fullSMS reads getFullSms: FULL_SMS:<text>. A status word instead (no
// text yet) gives ""; transport failures are errors, so the poll is
// retried rather than the text lost.
func (c *Client) fullSMS(ctx context.Context, ref string) (string, error) {
	answer, err := c.call(ctx, "getFullSms", url.Values{"id": {ref}})
	if err != nil {
		return "", err
	}
	if text, ok := strings.CutPrefix(answer, "FULL_SMS:"); ok {
		return text, nil
	}
	if strings.HasPrefix(answer, "STATUS_") {
		return "", nil
	}
	return "", c.unexpected("getFullSms", answer)
}

// Cancel is setStatus 8: ACCESS_CANCEL.
func (c *Client) Cancel(ctx context.Context, ref string) error {
	return c.setStatus(ctx, ref, 8, "ACCESS_CANCEL")
}

// Ban is setStatus 8 too: "number used or banned", which the protocol
// takes right after the purchase.
func (c *Client) Ban(ctx context.Context, ref string) error {
	return c.setStatus(ctx, ref, 8, "ACCESS_CANCEL")
}

// Finish is setStatus 6: ACCESS_ACTIVATION.
func (c *Client) Finish(ctx context.Context, ref string) error {
	return c.setStatus(ctx, ref, 6, "ACCESS_ACTIVATION")
}

// Again is setStatus 3 (another code, free): ACCESS_RETRY_GET.
func (c *Client) Again(ctx context.Context, ref string) error {
	return c.setStatus(ctx, ref, 3, "ACCESS_RETRY_GET")
}

// Ready is setStatus 1 (the SMS was sent to the number): ACCESS_READY.
func (c *Client) Ready(ctx context.Context, ref string) error {
	return c.setStatus(ctx, ref, 1, "ACCESS_READY")
}

func (c *Client) setStatus(ctx context.Context, ref string, status int, want string) error {
	if _, err := parseID(ref); err != nil {
		return fmt.Errorf("%s setStatus %q: %w", c.cfg.Name, ref, provider.ErrUnknownActivation)
	}
	answer, err := c.call(ctx, "setStatus", url.Values{"id": {ref}, "status": {strconv.Itoa(status)}})
	if err != nil {
		return err
	}
	if answer != want {
		return c.unexpected("setStatus", answer)
	}
	return nil
}

// parseID accepts a positive decimal integer (no sign, at most 18
// digits) and returns it in canonical form.
func parseID(s string) (string, error) {
	n, err := provider.Numeric(s).Int()
	if err != nil || n <= 0 {
		return "", fmt.Errorf("bad id %q", s)
	}
	return strconv.FormatInt(n, 10), nil
}
