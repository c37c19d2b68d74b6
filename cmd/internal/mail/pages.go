package mail

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/store/webpage"
)

// The paths of the mails' links; the token follows.
const (
	VerifyPath      = "/verify/"
	UnsubscribePath = "/unsubscribe/"
)

// maxTokenLen bounds a token read from a path (ours have 43 characters).
const maxTokenLen = 64

// Routes mounts the pages behind the mails' links. Opening a link (GET)
// only shows a button; the button (POST) acts: mail scanners that fetch
// every link of a mail must not verify a mistyped address or unsubscribe
// anybody. Mail programs' one-click unsubscribe (RFC 8058) posts directly.
// No page sets a cookie or loads anything.
func Routes(mux *http.ServeMux, st *store.Store, log *slog.Logger) {
	p := pages{st: st, log: log}
	mux.HandleFunc("GET "+VerifyPath+"{token}", p.verifyForm)
	mux.HandleFunc("POST "+VerifyPath+"{token}", p.verify)
	mux.HandleFunc("GET "+UnsubscribePath+"{token}", p.unsubscribeForm)
	mux.HandleFunc("POST "+UnsubscribePath+"{token}", p.unsubscribe)
}

type pages struct {
	st  *store.Store
	log *slog.Logger
}

func token(r *http.Request) string {
	t := r.PathValue("token")
	if len(t) > maxTokenLen {
		return ""
	}
	return t
}

func (p pages) verifyForm(w http.ResponseWriter, r *http.Request) {
	webpage.Form(w, http.StatusOK, "Verify your email address",
		"Press the button to verify, for your WantSMS account, the address this link was mailed to.",
		VerifyPath+token(r), "Verify my address")
}

func (p pages) verify(w http.ResponseWriter, r *http.Request) {
	o := store.Origin{RemoteAddr: r.RemoteAddr, ClientVersion: "verification link"}
	email, err := p.st.VerifyEmailLink(r.Context(), token(r), o)
	switch {
	case errors.Is(err, store.ErrBadLink):
		webpage.Write(w, http.StatusNotFound, "This link is not valid any more",
			"It was used, or it expired. Ask for a new code in the dashboard.")
	case errors.Is(err, store.ErrEmailTaken):
		webpage.Write(w, http.StatusConflict, "This address has an account already",
			"Another WantSMS account signed up with it meanwhile, so your account keeps its address.")
	case err != nil:
		p.log.Error("verification link", "err", err)
		webpage.Write(w, http.StatusInternalServerError, "Something went wrong",
			"Please try again in a moment, or type the code in the dashboard.")
	default:
		webpage.Write(w, http.StatusOK, "Email address verified",
			email+" is the verified address of your WantSMS account. Return to your terminal.")
	}
}

func (p pages) unsubscribeForm(w http.ResponseWriter, r *http.Request) {
	webpage.Form(w, http.StatusOK, "Stop these emails?",
		"Press the button to stop this kind of notice from WantSMS. Mails about your account's security still come.",
		UnsubscribePath+token(r), "Unsubscribe")
}

func (p pages) unsubscribe(w http.ResponseWriter, r *http.Request) {
	kind, err := p.st.Unsubscribe(r.Context(), token(r))
	switch {
	case errors.Is(err, store.ErrBadUnsubscribe):
		webpage.Write(w, http.StatusNotFound, "This link is not valid any more",
			"Turn notices off in the dashboard, under Account.")
	case err != nil:
		p.log.Error("unsubscribe link", "err", err)
		webpage.Write(w, http.StatusInternalServerError, "Something went wrong",
			"Please try again in a moment, or turn notices off in the dashboard, under Account.")
	default:
		webpage.Write(w, http.StatusOK, "You are unsubscribed",
			"No more "+kind.Label()+" by email. Turn them back on in the dashboard, under Account.")
	}
}
