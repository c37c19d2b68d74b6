package billing

import (
	"errors"
	"net/http"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/store/webpage"
)

// Routes mounts the payment endpoints on mux: the two webhooks, the short
// payment links and Stripe's return pages.
func (p *Payments) Routes(mux *http.ServeMux) {
	mux.HandleFunc("POST "+StripeWebhookPath, p.HandleStripe)
	mux.HandleFunc("GET "+BlockonomicsCallbackPath, p.HandleBlockonomics)
	mux.HandleFunc("GET /pay/done", p.handleDone)
	mux.HandleFunc("GET /pay/cancelled", p.handleCancelled)
	mux.HandleFunc("GET /pay/{order}", p.handlePayLink)
}

// handlePayLink redirects an open card order's short link to its Checkout
// page. A closed, unknown or Bitcoin order gets the same "not open" page,
// so the link tells a stranger nothing about which numbers exist.
func (p *Payments) handlePayLink(w http.ResponseWriter, r *http.Request) {
	o, err := p.store.OrderByNumber(r.Context(), r.PathValue("order"))
	if err != nil && !errors.Is(err, store.ErrNoOrder) {
		p.log.Error("payment link", "err", err)
		webpage.Write(w, http.StatusInternalServerError, "Something went wrong",
			"Please try again in a moment, or return to your terminal.")
		return
	}
	if err != nil || o.Processor != store.ProcessorStripe || !o.Open(p.store.Now()) || o.CheckoutURL == "" {
		webpage.Write(w, http.StatusNotFound, "This payment link is not open",
			"It may have been paid or have expired. Return to your terminal to see your top-ups.")
		return
	}
	webpage.SecurityHeaders(w)
	http.Redirect(w, r, o.CheckoutURL, http.StatusSeeOther)
}

// handleDone is Stripe's success URL. It fulfils nothing: only the signed
// webhook does, since anyone can open this page and a payer may never.
func (p *Payments) handleDone(w http.ResponseWriter, _ *http.Request) {
	webpage.Write(w, http.StatusOK, "Thank you",
		"Return to your terminal: your balance rises there as soon as Stripe confirms the payment.")
}

// handleCancelled is Stripe's cancel URL.
func (p *Payments) handleCancelled(w http.ResponseWriter, _ *http.Request) {
	webpage.Write(w, http.StatusOK, "Payment cancelled",
		"Nothing was charged. Return to your terminal to choose another amount or method.")
}
