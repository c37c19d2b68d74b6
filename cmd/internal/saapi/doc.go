// Package saapi is WantSMS's SMS-Activate-compatible endpoint,
// /stubs/handler_api.php on the HTTP listener: a program written for
// SMS-Activate (or one of its clones) works against WantSMS by changing
// its base URL and its API key.
//
// It owns the protocol and nothing else: reading the parameters (query
// string or form, GET or POST), the answers in the protocol's own words
// (HTTP 200 with a bare word such as NO_NUMBERS, or JSON for the actions
// that answer JSON), services by the market's two-letter codes and
// countries by SMS-Activate's numeric ids (the one table in provider,
// shared with the upstream adapter), money in US dollars, numbers without
// '+'. Every decision is the reservation engine's, the same calls the SSH
// commands and the dashboard make (reserve, cancel with its early-cancel
// guard, finish, another SMS), so a suspended account, the open-number
// limit, a balance too low, a refund mean the same here as there. Who is
// asking and whether they may ask now is cmd/internal/apiauth's.
//
// The actions and their answers:
//
//	getBalance            ACCESS_BALANCE:12.34
//	getNumbersStatus      {"tg_0":"604",…} for country (default 0), opt. operator
//	getPrices             {"<country>":{"<service>":{"cost":0.45,"count":604}}}
//	getCountries          {"<id>":{"id":…,"eng":"…","visible":1,"retry":1}}
//	getNumber             ACCESS_NUMBER:<id>:<phone> (header X-Price: the price)
//	getNumberV2           {"activationId":…,"phoneNumber":"…","activationCost":0.45,…}
//	setStatus 1           ACCESS_READY
//	setStatus 3           ACCESS_RETRY_GET (after a code: another SMS, free)
//	setStatus 6           ACCESS_ACTIVATION (after a code: finished)
//	setStatus 8 or -1     ACCESS_CANCEL (before a code: refunded);
//	                      EARLY_CANCEL_DENIED within the early-cancel guard
//	getStatus             STATUS_WAIT_CODE, STATUS_WAIT_RETRY:<last code>,
//	                      STATUS_OK:<code>, STATUS_CANCEL
//	getFullSms            FULL_SMS:<text> (or the getStatus word while none)
//	getActiveActivations  {"status":"success","activeActivations":[…]}
//
// and the rent actions (rent.go), JSON with errors as
// {"status":"error","message":"WORD"}, rent_time in hours (24, 168, 336
// or 720: our periods of days):
//
//	getRentServicesAndCountries  {"countries":…,"operators":…,"services":{"tg":{"cost":…,"quant":…}}}
//	getRentNumber                {"status":"success","phone":{"id":…,"endDate":"…","number":"…"}}
//	getRentStatus                the SMS newest first, 10 a page; STATUS_WAIT_CODE,
//	                             STATUS_FINISH, STATUS_CANCEL
//	setRentStatus 1 / 2          finish now / cancel (refunded; CANT_CANCEL after an
//	                             SMS or the cancel window)
//	continueRentNumber           extended: the getRentNumber answer, new endDate
//
// Errors are the protocol's words: BAD_KEY, BAD_ACTION, BAD_SERVICE,
// BAD_STATUS, NO_NUMBERS, NO_BALANCE, NO_ACTIVATION, INVALID_ACTIVATION_ID,
// WRONG_OPERATOR, WRONG_MAX_PRICE:<price> (maxPrice) or MAX_PRICE_EXCEEDED
// (max_price), EARLY_CANCEL_DENIED, BANNED (a suspended account may not
// reserve), ERROR_SQL (our side failed: try again); ACTIVATIONS_LIMIT, our
// own word, when the account holds the most open numbers at once. A
// request over its rate limit is answered BANNED:'YYYY-MM-DD HH-MM-SS'
// (UTC: when to try again, the protocol's form) with a Retry-After header.
//
// May import from this repository: cmd/internal/apiauth, provider,
// provider/engine, store.
package saapi
