package smsactivate

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/wantsms/wantsms/provider"
)

// Buy rents a number. With a cap, the price is checked first (a quote,
// or the charged cost with NumberV2) and sent as maxPrice.
func (c *Client) Buy(ctx context.Context, service, country string, maxCost provider.Micros) (provider.Number, error) {
	svc, cid, err := c.codes("getNumber", service, country)
	if err != nil {
		return provider.Number{}, err
	}
	params := url.Values{"service": {svc}, "country": {cid}}
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
	// ACCESS_NUMBER:<activationId>:<phone>
	parts := strings.Split(answer, ":")
	if len(parts) != 3 || parts[0] != "ACCESS_NUMBER" {
		return provider.Number{}, c.unexpected("getNumber", answer)
	}
	ref, err := parseID(parts[1])
	if err != nil {
		return provider.Number{}, c.unexpected("getNumber", answer)
	}
	phone, err := provider.NormalizePhone(parts[2], country)
	if err != nil || !allDigits(parts[2]) {
		return provider.Number{}, c.unexpected("getNumber", answer)
	}
	return provider.Number{Ref: ref, Phone: phone, Cost: q.Cost}, nil
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
	var v numberV2
	if err := c.decodeJSON("getNumberV2", answer, &v); err != nil {
		return provider.Number{}, err
	}
	ref, err := parseID(string(v.ActivationID))
	if err != nil {
		return provider.Number{}, c.unexpected("getNumberV2", answer)
	}
	phone, perr := provider.NormalizePhone(string(v.PhoneNumber), country)
	cost, cerr := v.ActivationCost.Micros(c.cfg.CurrencyRate)
	if perr != nil || cerr != nil || cost < 0 || !allDigits(string(v.PhoneNumber)) {
		return provider.Number{}, c.unexpected("getNumberV2", answer)
	}
	n := provider.Number{Ref: ref, Phone: phone, Cost: cost}
	if maxCost > 0 && cost > maxCost {
		// Upstream ignored our maxPrice: give the number straight back.
		cerr := c.Cancel(ctx, ref)
		return provider.Number{}, errors.Join(fmt.Errorf("%s getNumberV2: charged %v over %v: %w", c.cfg.Name, cost, maxCost, provider.ErrMaxPrice), cerr)
	}
	return n, nil
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

// Ban is setStatus 8 too: "number used or banned".
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

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
