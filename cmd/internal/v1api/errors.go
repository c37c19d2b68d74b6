package v1api

import (
	"errors"
	"net/http"
	"time"

	"github.com/wantsms/wantsms/billing"
	"github.com/wantsms/wantsms/provider/engine"
	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/wording"
)

// Code is the stable machine code of an error answer: clients branch on
// it, people read the message beside it.
type Code string

// The codes. Their HTTP statuses and meanings are in codes below, the one
// table the OpenAPI document and the README are made from.
const (
	CodeBadRequest          Code = "bad_request"
	CodeUnknownService      Code = "unknown_service"
	CodeUnknownCountry      Code = "unknown_country"
	CodeUnauthorized        Code = "unauthorized"
	CodeSuspended           Code = "account_suspended"
	CodeNotFound            Code = "not_found"
	CodeReservationNotFound Code = "reservation_not_found"
	CodeOrderNotFound       Code = "order_not_found"
	CodeMethodNotAllowed    Code = "method_not_allowed"
	CodeInsufficientFunds   Code = "insufficient_funds"
	CodeInDebt              Code = "account_in_debt"
	CodeTooManyOpen         Code = "too_many_open"
	CodeNoNumbers           Code = "no_numbers"
	CodeNoOperatorNumbers   Code = "no_operator_numbers"
	CodeAboveMaxPrice       Code = "price_above_max"
	CodePriceChanged        Code = "price_changed"
	CodeNotSold             Code = "not_sold"
	CodeCancelTooEarly      Code = "cancel_too_early"
	CodeCancelLater         Code = "cancel_later"
	CodeSMSArrived          Code = "sms_arrived"
	CodeNoSMSYet            Code = "no_sms_yet"
	CodeFirstSMSYet         Code = "first_sms_not_yet"
	CodeEnded               Code = "reservation_ended"
	CodeNoAgain             Code = "again_not_supported"
	CodeRentalNotFound      Code = "rental_not_found"
	CodeRentalEnded         Code = "rental_ended"
	CodeRentalCantCancel    Code = "rental_cant_cancel"
	CodeNoRentals           Code = "no_rentals"
	CodeTooManyRentals      Code = "too_many_rentals"
	CodeCantExtend          Code = "extend_unavailable"
	CodeExtendRefused       Code = "extend_refused"
	CodeBadAmount           Code = "bad_amount"
	CodeMethodUnavailable   Code = "payment_method_unavailable"
	CodeUnverified          Code = "email_unverified"
	CodeTooManyTopUps       Code = "too_many_topups"
	CodeBitcoinOpen         Code = "bitcoin_topup_open"
	CodePaymentFailed       Code = "payment_failed"
	CodeRefused             Code = "refused"
	CodeIdemKeyInvalid      Code = "idempotency_key_invalid"
	CodeIdemKeyReused       Code = "idempotency_key_reused"
	CodeIdemInProgress      Code = "idempotency_in_progress"
	CodeRateLimited         Code = "rate_limited"
	CodeUnavailable         Code = "providers_unavailable"
	CodeServerError         Code = "server_error"
)

// CodeDoc documents one code: the HTTP status it comes with and when.
type CodeDoc struct {
	Code   Code
	Status int
	Means  string
}

// codes is every code, in the order the documents list them.
var codes = []CodeDoc{
	{CodeBadRequest, http.StatusBadRequest, "the request is malformed: a body that is not the JSON object " +
		"described, an unknown field or parameter, a value out of range; the message names it"},
	{CodeUnknownService, http.StatusBadRequest, "no service has this code (GET /v1/services lists them)"},
	{CodeUnknownCountry, http.StatusBadRequest, "no country has this code (GET /v1/countries lists them)"},
	{CodeUnauthorized, http.StatusUnauthorized, "no API key, or one that is wrong or revoked: send " +
		"Authorization: Bearer KEY"},
	{CodeSuspended, http.StatusForbidden, "the account is suspended: it may read, not reserve or top up"},
	{CodeNotFound, http.StatusNotFound, "no such route under /v1"},
	{CodeReservationNotFound, http.StatusNotFound, "no reservation with this id on this account (another " +
		"account's ids answer the same)"},
	{CodeOrderNotFound, http.StatusNotFound, "no order with this number on this account"},
	{CodeMethodNotAllowed, http.StatusMethodNotAllowed, "the route exists with other methods: the Allow " +
		"header lists them"},
	{CodeInsufficientFunds, http.StatusPaymentRequired, "the balance does not cover the price: top up"},
	{CodeInDebt, http.StatusPaymentRequired, "the account owes credits (a card payment was refunded or " +
		"disputed after its credits were spent): a top-up settles it first"},
	{CodeTooManyOpen, http.StatusConflict, "the account holds the most open numbers at once: finish or " +
		"cancel one first"},
	{CodeNoNumbers, http.StatusConflict, "no numbers of this service (in this country) in stock right now"},
	{CodeNoOperatorNumbers, http.StatusConflict, "no numbers of this operator in stock right now"},
	{CodeAboveMaxPrice, http.StatusConflict, "the cheapest number costs more than max_price_cents"},
	{CodePriceChanged, http.StatusConflict, "the price rose between choosing the offer and buying: " +
		"nothing was charged, ask again"},
	{CodeNotSold, http.StatusUnprocessableEntity, "this service is not sold in this country"},
	{CodeCancelTooEarly, http.StatusConflict, "a number can be cancelled only some time after it was " +
		"reserved (cancel_after); Retry-After says how many seconds remain"},
	{CodeCancelLater, http.StatusConflict, "the provider does not let the number go yet: try again in a " +
		"minute (it is refunded by itself if no SMS comes)"},
	{CodeSMSArrived, http.StatusConflict, "an SMS has arrived: the number is paid and cannot be cancelled; " +
		"finish it"},
	{CodeNoSMSYet, http.StatusConflict, "no SMS has arrived yet: cancel the number instead, for a refund"},
	{CodeFirstSMSYet, http.StatusConflict, "another SMS is asked for only after the first came"},
	{CodeEnded, http.StatusConflict, "the reservation has ended already"},
	{CodeNoAgain, http.StatusConflict, "this number's provider cannot send another SMS on it"},
	{CodeRentalNotFound, http.StatusNotFound, "no rental with this id on this account (another account's ids " +
		"answer the same)"},
	{CodeRentalEnded, http.StatusConflict, "the rental has ended already"},
	{CodeRentalCantCancel, http.StatusConflict, "CANT_CANCEL: a rental is cancelled (refunded in full) only in " +
		"its first 20 minutes, before any SMS and any extension, and only where its provider takes it back"},
	{CodeNoRentals, http.StatusConflict, "no numbers to rent for this service in this country for that long " +
		"right now"},
	{CodeTooManyRentals, http.StatusConflict, "the account holds the most active rentals at once: let one end " +
		"or cancel one first"},
	{CodeCantExtend, http.StatusConflict, "this rental's provider does not extend it (or not by that many " +
		"days now)"},
	{CodeExtendRefused, http.StatusConflict, "the provider refused the extension: its price was paid back"},
	{CodeBadAmount, http.StatusUnprocessableEntity, "the server does not take a top-up of this amount; the " +
		"message says which it takes"},
	{CodeMethodUnavailable, http.StatusUnprocessableEntity, "this server does not take this payment method"},
	{CodeUnverified, http.StatusForbidden, "the account's email address is not verified: top-ups are " +
		"limited until it is"},
	{CodeTooManyTopUps, http.StatusConflict, "too many top-ups opened in the last hour: wait a little"},
	{CodeBitcoinOpen, http.StatusConflict, "a Bitcoin top-up is still waiting for its coins: pay it or let " +
		"it expire"},
	{CodePaymentFailed, http.StatusBadGateway, "the payment processor did not open the payment: try again in " +
		"a moment"},
	{CodeRefused, http.StatusConflict, "refused by another rule; the message says which"},
	{CodeIdemKeyInvalid, http.StatusBadRequest, "the Idempotency-Key header is not one value of 1 to 255 " +
		"printable ASCII characters"},
	{CodeIdemKeyReused, http.StatusUnprocessableEntity, "this Idempotency-Key came with another request (route " +
		"or body) in the last 24 hours: a new purchase needs a new key"},
	{CodeIdemInProgress, http.StatusConflict, "the request first sent with this Idempotency-Key is still being " +
		"answered: send it again in a few seconds to get its answer"},
	{CodeRateLimited, http.StatusTooManyRequests, "too many requests: wait the seconds Retry-After says"},
	{CodeUnavailable, http.StatusServiceUnavailable, "the number providers are not answering: try again in a " +
		"minute"},
	{CodeServerError, http.StatusInternalServerError, "something failed on our side; details are in the " +
		"server's log"},
}

// Codes lists every error code with its status and meaning.
func Codes() []CodeDoc { return append([]CodeDoc(nil), codes...) }

// statusOf is a code's HTTP status.
func statusOf(c Code) int {
	for _, d := range codes {
		if d.Code == c {
			return d.Status
		}
	}
	return http.StatusInternalServerError
}

// Refusal is an error answer: its code, the message for the person, and
// for some codes when to try again.
type Refusal struct {
	Code       Code
	Message    string
	RetryAfter time.Duration
}

func (r *Refusal) Error() string { return string(r.Code) + ": " + r.Message }

// refuse makes a Refusal.
func refuse(code Code, msg string) *Refusal { return &Refusal{Code: code, Message: msg} }

// sentinels are the refusals the engine, the store and the payment desk
// name with an error value, by code.
var sentinels = []struct {
	err  error
	code Code
}{
	{store.ErrNoReservation, CodeReservationNotFound},
	{store.ErrNoOrder, CodeOrderNotFound},
	{store.ErrInsufficientFunds, CodeInsufficientFunds},
	{store.ErrDebt, CodeInDebt},
	{store.ErrNotOpen, CodeEnded},
	{store.ErrSMSArrived, CodeSMSArrived},
	{store.ErrNoSMSYet, CodeNoSMSYet},
	{store.ErrFirstSMSYet, CodeFirstSMSYet},
	{store.ErrTooManyOrders, CodeTooManyTopUps},
	{store.ErrIdemLost, CodeIdemInProgress},
	{engine.ErrNoNumbers, CodeNoNumbers},
	{engine.ErrNoOperator, CodeNoOperatorNumbers},
	{engine.ErrPriceChanged, CodePriceChanged},
	{engine.ErrNotSold, CodeNotSold},
	{engine.ErrUnavailable, CodeUnavailable},
	{engine.ErrNoAgain, CodeNoAgain},
	{engine.ErrCancelLater, CodeCancelLater},
	{store.ErrNoRental, CodeRentalNotFound},
	{store.ErrRentalEnded, CodeRentalEnded},
	{engine.ErrNoRentals, CodeNoRentals},
	{engine.ErrNoExtend, CodeCantExtend},
	{engine.ErrNoExtendDays, CodeCantExtend},
	{engine.ErrExtendRefused, CodeExtendRefused},
	{billing.ErrAmount, CodeBadAmount},
	{billing.ErrNotConfigured, CodeMethodUnavailable},
}

// cancelLaterWait is when a cancel the provider refused may be tried
// again: the refusal's own words say "in a minute".
const cancelLaterWait = time.Minute

// explain turns an error into its answer. The message is always the
// person-facing one the dashboard shows for the same error; an error
// without one is ours, and gets the dashboard's apology (ok false: the
// caller logs it).
func explain(err error) (r *Refusal, ok bool) {
	if errors.As(err, &r) {
		return r, true
	}
	msg, known := store.UserMessage(err)
	if !known {
		return refuse(CodeServerError, wording.ServerError), false
	}
	var (
		banned *store.BannedError
		limit  *store.OpenLimitError
		guard  *engine.CancelGuardError
		open   *store.OpenOrderError
		cap    *store.UnverifiedCapError
		pay    *billing.PaymentError
		rents  *store.RentalLimitError
		early  *store.EarlyReportsError
	)
	switch {
	case errors.As(err, &banned):
		return refuse(CodeSuspended, msg), true
	case errors.As(err, &limit):
		return refuse(CodeTooManyOpen, msg), true
	case errors.As(err, &guard):
		return &Refusal{Code: CodeCancelTooEarly, Message: msg, RetryAfter: guard.Wait}, true
	case errors.As(err, &open):
		return refuse(CodeBitcoinOpen, msg), true
	case errors.As(err, &cap):
		return refuse(CodeUnverified, msg), true
	case engine.IsCantCancel(err):
		return refuse(CodeRentalCantCancel, msg), true
	case errors.As(err, &rents):
		return refuse(CodeTooManyRentals, msg), true
	case errors.As(err, &early):
		return &Refusal{Code: CodeCancelTooEarly, Message: msg, RetryAfter: early.Wait}, true
	}
	for _, s := range sentinels {
		if errors.Is(err, s.err) {
			r := refuse(s.code, msg)
			if s.code == CodeCancelLater {
				r.RetryAfter = cancelLaterWait
			}
			return r, true
		}
	}
	if errors.As(err, &pay) {
		return refuse(CodePaymentFailed, msg), true
	}
	return refuse(CodeRefused, msg), true
}
