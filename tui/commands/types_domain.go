package commands

import (
	"errors"
	"fmt"
	"strings"

	"github.com/wantsms/wantsms/billing"
	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/store"
)

// Parameter types checked against WantSMS's own tables (services,
// countries) and rules (amounts of money): still pure, they read nothing
// but static data.

// Service is a service by its code or its name, in any case ("telegram",
// "Telegram"), as its canonical code.
var Service = Type[string]{Name: "SERVICE",
	Help: "a service code, like telegram or whatsapp (the services command lists them)", Parse: parseService}

// Country is a country by its two-letter code or its name, in any case
// ("gb", "GB", "United Kingdom"), as its canonical code.
var Country = Type[string]{Name: "COUNTRY",
	Help: "a two-letter country code, like gb or us (the countries command lists them)", Parse: parseCountry}

// Operator is a mobile operator's name as upstreams write it ("mts",
// "vodafone"), in any case, as lower case.
var Operator = Type[string]{Name: "NAME",
	Help: "a mobile operator's name, like vodafone or mts (the operators command lists them per country)",
	Parse: func(s string) (string, error) {
		s = strings.ToLower(s)
		if !provider.ValidOperator(s) {
			return "", errors.New("want an operator's name: letters and digits, like vodafone (the operators " +
				"command lists them; leave --operator out for any)")
		}
		return s, nil
	}}

// ReportReason is why a number is reported as bad.
var ReportReason = Type[store.ReportReason]{Name: "banned|used|no-sms",
	Help: "banned (the service says the number is banned), used (already used there) or no-sms (its code never came)",
	Parse: func(s string) (store.ReportReason, error) {
		if r := store.ReportReason(s); r.Valid() {
			return r, nil
		}
		return "", errors.New("want banned, used or no-sms")
	}}

// maxTopUpCents bounds an amount before the payment desk sees it: far
// above any configured top-up (the desk checks its own range), low enough
// that no sum overflows.
const maxTopUpCents = 100_000_000

// Dollars is an amount in US dollars, whole or with cents ("10",
// "12.50"), as cents. It is read by the Wallet's own rule; the range of a
// top-up is the payment desk's to check.
var Dollars = Type[int64]{Name: "AMOUNT", Help: "an amount in US dollars, like 10 or 12.50",
	Parse: func(s string) (int64, error) {
		cents, err := billing.Packs{MinCents: 1, MaxCents: maxTopUpCents}.ParseAmount(s)
		if err != nil {
			return 0, errors.New("want an amount in US dollars, like 10 or 12.50")
		}
		return cents, nil
	}}

func parseService(s string) (string, error) {
	if sv, ok := provider.LookupService(strings.ToLower(s)); ok {
		return sv.Code, nil
	}
	var guesses []string
	for _, sv := range provider.Services() {
		if strings.EqualFold(sv.Name, s) {
			return sv.Code, nil
		}
		if prefixOf(s, sv.Code, sv.Name) {
			guesses = append(guesses, sv.Code)
		}
	}
	return "", unknownName("service code", "telegram", "services", guesses)
}

func parseCountry(s string) (string, error) {
	if c, ok := provider.LookupCountry(strings.ToLower(s)); ok {
		return c.Code, nil
	}
	var guesses []string
	for _, c := range provider.Countries() {
		if strings.EqualFold(c.Name, s) {
			return c.Code, nil
		}
		if prefixOf(s, c.Name) {
			guesses = append(guesses, c.Code)
		}
	}
	return "", unknownName("country code", "gb", "countries", guesses)
}

// prefixOf reports whether s (two letters at least) starts one of names,
// ignoring case: "tele" for telegram, "united" for United Kingdom.
func prefixOf(s string, names ...string) bool {
	if len(s) < 2 {
		return false
	}
	for _, n := range names {
		if len(n) >= len(s) && strings.EqualFold(n[:len(s)], s) {
			return true
		}
	}
	return false
}

// unknownName says what was wanted, with the guesses when there are a
// few.
func unknownName(what, example, list string, guesses []string) error {
	msg := fmt.Sprintf("want a %s like %s (the %s command lists them)", what, example, list)
	if n := len(guesses); n > 0 && n <= 3 {
		msg = fmt.Sprintf("want a %s: did you mean %s?", what, strings.Join(guesses, " or "))
	}
	return errors.New(msg)
}
