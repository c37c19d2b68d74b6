// Package webpage writes the few plain HTML pages the HTTP listener shows
// people (a payment's return pages, the links of account mails): one
// look, fixed texts escaped, and headers that keep them from loading
// anything from anywhere, running a script, being cached or leaking the
// URL (which may hold an order number or a token) to the next site.
//
// It sits under store, the bottom layer, so that every package serving
// pages may use it.
//
// May import from this repository: nothing.
package webpage

import (
	"html"
	"net/http"
)

// SecurityHeaders are set on every page and redirect: nothing cached, no
// referrer, no sniffing, nothing loaded but the page's inline style.
func SecurityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
}

// Write writes a page of a title and one sentence.
func Write(w http.ResponseWriter, code int, title, text string) {
	write(w, code, title, text, "")
}

// Form writes a page of a title, one sentence and one button that posts
// to action (a path on this host): for what a link in a mail does, which
// must not happen when a mail scanner merely fetches the link.
func Form(w http.ResponseWriter, code int, title, text, action, button string) {
	write(w, code, title, text, `<form method="post" action="`+html.EscapeString(action)+`">`+
		`<button type="submit">`+html.EscapeString(button)+`</button></form>`)
}

func write(w http.ResponseWriter, code int, title, text, form string) {
	SecurityHeaders(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	t, s := html.EscapeString(title), html.EscapeString(text)
	_, _ = w.Write([]byte(`<!doctype html><html lang="en"><head><meta charset="utf-8">` +
		`<meta name="viewport" content="width=device-width, initial-scale=1"><title>` + t + ` · WantSMS</title>` +
		`<style>body{font:18px/1.5 system-ui,sans-serif;max-width:32em;margin:15vh auto;padding:0 1em}` +
		`button{font:inherit;padding:.4em 1.2em}</style>` +
		`</head><body><h1>` + t + `</h1><p>` + s + `</p>` + form + `</body></html>`))
}
