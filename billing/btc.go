package billing

import (
	"fmt"
	"math"
	"math/big"

	"github.com/wantsms/wantsms/store"
)

// SatsPerBTC is the number of satoshis in one bitcoin.
const SatsPerBTC = 100_000_000

// SatsFor converts cents to satoshis at centsPerBTC, rounded to the nearest
// satoshi (half up). It returns 0 when either input is not positive.
func SatsFor(cents, centsPerBTC int64) int64 {
	if cents <= 0 || centsPerBTC <= 0 {
		return 0
	}
	return mulDiv(cents, SatsPerBTC, centsPerBTC, true)
}

// CentsFor converts satoshis to cents at centsPerBTC, rounded down so a
// payer is never credited a fraction of a cent they did not send. It
// returns 0 when either input is not positive.
func CentsFor(sats, centsPerBTC int64) int64 {
	if sats <= 0 || centsPerBTC <= 0 {
		return 0
	}
	return mulDiv(sats, centsPerBTC, SatsPerBTC, false)
}

// mulDiv returns a×b/c for positive inputs, rounded half up or down, in
// exact integer arithmetic; a result past int64 saturates.
func mulDiv(a, b, c int64, halfUp bool) int64 {
	n := new(big.Int).Mul(big.NewInt(a), big.NewInt(b))
	d := big.NewInt(c)
	if halfUp {
		n.Mul(n, big.NewInt(2)).Add(n, d)
		d.Mul(d, big.NewInt(2))
	}
	q := n.Quo(n, d)
	if !q.IsInt64() {
		return math.MaxInt64
	}
	return q.Int64()
}

// FormatBTC renders satoshis as bitcoins with all eight decimals:
// 12345 → "0.00012345".
func FormatBTC(sats int64) string {
	sign := ""
	u := uint64(sats)
	if sats < 0 {
		sign, u = "-", uint64(-sats)
	}
	return fmt.Sprintf("%s%d.%08d", sign, u/SatsPerBTC, u%SatsPerBTC)
}

// PaymentURI is the BIP 21 URI a wallet opens to pay sats to addr:
// "bitcoin:ADDR?amount=0.00012345".
func PaymentURI(addr string, sats int64) string {
	return "bitcoin:" + addr + "?amount=" + FormatBTC(sats)
}

// underpaySlackPercent is how far below the quoted amount a payment may
// fall and still get the quoted credits: wallets round, and some subtract
// their fee from the amount sent.
const underpaySlackPercent = 1

// Quote is a BTC top-up's locked terms: the credits asked for, the sats
// expected for them and the price they were computed at.
type Quote struct {
	AmountCents       int64
	ExpectedSats      int64
	LockedCentsPerBTC int64
}

// NewQuote locks amountCents at centsPerBTC.
func NewQuote(amountCents, centsPerBTC int64) Quote {
	return Quote{
		AmountCents:       amountCents,
		ExpectedSats:      SatsFor(amountCents, centsPerBTC),
		LockedCentsPerBTC: centsPerBTC,
	}
}

// CreditFor decides the credits owed for valueSats received against q, and
// says why in a note for the ledger:
//   - credit the USD value actually received, at the locked price;
//   - a payment less than 1 % under the expected sats gets the quoted amount;
//   - an overpayment credits all of it (never less than the quoted amount).
//
// valueSats is the total confirmed on the top-up's address so far, over all
// its transactions. When a second transaction confirms, credit
// CreditFor(q, total) minus what the earlier ones were credited: the result
// never decreases as valueSats grows, so that difference is never negative,
// and the slack applies to the total rather than to each part.
func CreditFor(q Quote, valueSats int64) (cents int64, note string) {
	received := CentsFor(valueSats, q.LockedCentsPerBTC)
	switch {
	case valueSats <= 0:
		return 0, "nothing received"
	case valueSats == q.ExpectedSats:
		return max(received, q.AmountCents), "paid as quoted"
	case valueSats > q.ExpectedSats:
		c := max(received, q.AmountCents)
		return c, fmt.Sprintf("overpaid: %s sent for a %s quote, %s credited",
			FormatBTC(valueSats), FormatBTC(q.ExpectedSats), store.FormatCents(c))
	case (q.ExpectedSats-valueSats)*100 <= q.ExpectedSats*underpaySlackPercent:
		return q.AmountCents, fmt.Sprintf("underpaid within %d%%: %s sent for a %s quote, quoted %s credited",
			underpaySlackPercent, FormatBTC(valueSats), FormatBTC(q.ExpectedSats), store.FormatCents(q.AmountCents))
	default:
		return received, fmt.Sprintf("underpaid: %s sent for a %s quote, %s of %s credited",
			FormatBTC(valueSats), FormatBTC(q.ExpectedSats), store.FormatCents(received), store.FormatCents(q.AmountCents))
	}
}
