package commands

import (
	"fmt"
	"io"
	"strconv"

	"github.com/wantsms/wantsms/store"
)

// Orders listed: a screenful by default; the Wallet loads at most 50.
const (
	defaultOrders = 20
	maxOrders     = 50
)

type ordersResult struct {
	Orders []orderJSON `json:"orders"` // newest first
}

type orderJSON struct {
	Order         string    `json:"order"`
	Method        string    `json:"method"` // "card" or "btc"
	Status        string    `json:"status"` // created, pending, paid, failed, expired, review, refunded, disputed
	Open          bool      `json:"open"`   // it still waits for its payment
	AmountCents   int64     `json:"amount_cents"`
	CreditedCents int64     `json:"credited_cents"`
	ReversedCents int64     `json:"reversed_cents"` // taken back: the payment was refunded or disputed
	CreatedAt     Timestamp `json:"created_at"`
	ExpiresAt     Timestamp `json:"expires_at"`
	PaidAt        Timestamp `json:"paid_at"`  // null until paid
	PayLink       *string   `json:"pay_link"` // an open card order's link, else null
	Note          Untrusted `json:"note"`     // what happened, when there is something to say
}

func (r ordersResult) WriteText(w io.Writer) error {
	if len(r.Orders) == 0 {
		_, err := fmt.Fprintln(w, "no top-ups yet: topup card 10 opens one")
		return err
	}
	rows := make([][]string, 0, len(r.Orders))
	for _, o := range r.Orders {
		status := o.Status
		if o.Open {
			status += " (open)"
		}
		rows = append(rows, []string{o.Order, o.CreatedAt.String(), o.Method, store.FormatCents(o.AmountCents),
			status, store.FormatCents(o.CreditedCents), o.Note.String()})
	}
	return table(w, []string{"ORDER", "CREATED", "METHOD", "AMOUNT", "STATUS", "CREDITED", "NOTE"}, rows)
}

func ordersCommand() *Command {
	limit := Flag("limit", Int(1, maxOrders), "list at most this many").Default(strconv.Itoa(defaultOrders))
	link := "https://wantsms.example/pay/k7dq2m9xw4hfr3tp"
	return &Command{
		Name:    "orders",
		Summary: "your top-ups, newest first, and where each stands",
		Params:  []Param{limit},
		Example: ordersResult{Orders: []orderJSON{{Order: "k7dq2m9xw4hfr3tp", Method: methodCard, Status: "created",
			Open: true, AmountCents: 1000, CreatedAt: exampleTime, ExpiresAt: exampleTime, PayLink: &link}}},
		Run: func(c *Call) error {
			orders, err := c.Deps.Store.Orders(c.Ctx, c.User.ID, limit.Get(c))
			if err != nil {
				return err
			}
			now := c.Deps.Store.Now()
			r := ordersResult{Orders: make([]orderJSON, 0, len(orders))}
			for _, o := range orders {
				j := orderJSON{Order: o.Number, Method: methodCard, Status: string(o.Status), Open: o.Open(now),
					AmountCents: o.AmountCents, CreditedCents: o.Credited, ReversedCents: o.Reversed,
					CreatedAt: Timestamp(o.CreatedAt),
					ExpiresAt: Timestamp(o.ExpiresAt), PaidAt: Timestamp(o.PaidAt), Note: Untrusted(o.Note)}
				if o.Processor == store.ProcessorBlockonomics {
					j.Method = methodBTC
				} else if j.Open && c.Deps.Payments != nil {
					l := c.Deps.Payments.PayLink(o.Number)
					j.PayLink = &l
				}
				r.Orders = append(r.Orders, j)
			}
			return c.Print(r)
		},
	}
}
