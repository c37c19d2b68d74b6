package mail

import (
	"fmt"
	"html"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/store"
)

// Site is what mails say about where WantSMS is: the dashboard's command
// and the HTTP base of the links.
type Site struct {
	// Dashboard is the command that opens the dashboard, e.g.
	// "ssh -p 2222 localhost".
	Dashboard string
	// PublicURL is the HTTP listener as the world reaches it, without a
	// trailing slash: links go to PublicURL/verify/… and
	// PublicURL/unsubscribe/….
	PublicURL string
}

// Content is one mail's words, before it becomes a message: the text part
// and the HTML part are rendered from the same blocks, so they say the
// same. The HTML is plain: no images, no remote anything, no tracking; its
// only links are ours, written out in full as their own text.
type Content struct {
	Subject string
	Blocks  []Block
	// Unsubscribe is the unsubscribe link of a notice ("" for security
	// mails, which cannot be turned off).
	Unsubscribe string
}

// Block is a paragraph, a code to type, a link, or a list.
type Block struct {
	Text  string   // a paragraph, or the code
	Code  bool     // Text is a code, shown large
	Link  string   // a link, shown as itself
	Items []string // a list
}

func para(format string, a ...any) Block { return Block{Text: fmt.Sprintf(format, a...)} }

// Compose writes the words of m (an outbox row, its params included).
func Compose(m store.Mail, site Site) (Content, error) {
	p := m.Params
	at := when(p[store.ParamAt])
	from := origin(p[store.ParamFrom])
	var c Content
	switch m.Kind {
	case store.MailVerify:
		c = verifyContent(p, site)
	case store.MailEmailChanged:
		c.Subject = "The email address of your WantSMS account was changed"
		c.Blocks = []Block{
			para("On %s, the email address of your WantSMS account was changed from %s to %s (the new "+
				"address was verified with a code mailed to it%s). Mails about the account go there from now on.",
				at, p[store.ParamOld], p[store.ParamNew], from),
			para("If you made this change, there is nothing to do. If you did not, someone knows your password: "+
				"sign in to the dashboard (%s) with the password or a linked SSH key, change the password, and "+
				"tell us in the Support tab: we can put your address back.", site.Dashboard),
		}
	case store.MailPasswordReset:
		c.Subject = "Your WantSMS password reset code"
		c.Blocks = append([]Block{
			para("Someone, probably you, asked to reset the password of the WantSMS account of this "+
				"address%s. Your code is:", from),
			{Text: p[store.ParamCode], Code: true},
			para("Type it on the sign-in screen of the dashboard (%s), under \"forgot password\" (ctrl+r), with "+
				"a new password. It works once, within %s. A reset signs out every other session of the account.",
				site.Dashboard, period(store.ResetCodeTTL)),
		}, keyBlocks(p[store.ParamKeys], "stay linked after a reset")...)
		c.Blocks = append(c.Blocks, para("If you did not ask for this, ignore this email: your password stays "+
			"as it is."))
	case store.MailPasswordChanged:
		how := "in the dashboard"
		after := ""
		if p[store.ParamHow] == "reset" {
			how, after = "with a reset code mailed to this address", " Every other session of the account was signed out."
		}
		c.Subject = "The password of your WantSMS account was changed"
		c.Blocks = append([]Block{para("On %s, the password of your WantSMS account was changed %s%s.%s",
			at, how, from, after)}, keyBlocks(p[store.ParamKeys], "are linked to the account")...)
		c.Blocks = append(c.Blocks, para("If this was not you: reset the password from the sign-in screen of the "+
			"dashboard (%s), remove any key you do not recognise in Account, and tell us in the Support tab.",
			site.Dashboard))
	case store.MailKeyLinked:
		c.Subject = "A new SSH key can sign in to your WantSMS account"
		c.Blocks = []Block{
			para("On %s, the SSH key \"%s\" (%s) was linked to your WantSMS account%s. It now signs in to the "+
				"account without a password.", at, p[store.ParamKeyName], p[store.ParamFingerprint], from),
			para("If this was not you: sign in to the dashboard (%s), remove the key in Account, change your "+
				"password, and tell us in the Support tab.", site.Dashboard),
		}
	case store.MailAPIKeyCreated:
		c.Subject = "A new API key can use your WantSMS account"
		c.Blocks = []Block{
			para("On %s, the API key \"%s\" was created for your WantSMS account%s. Programs that hold it can "+
				"read the balance and reserve numbers with it over HTTP, paid from your balance.", at,
				p[store.ParamKeyName], from),
			para("If this was not you: sign in to the dashboard (%s), revoke the key in Account (API keys), "+
				"change your password, and tell us in the Support tab.", site.Dashboard),
		}
	case store.MailAPIKeyRevoked:
		c.Subject = "An API key of your WantSMS account was revoked"
		c.Blocks = []Block{
			para("On %s, the API key \"%s\" of your WantSMS account was revoked%s. Programs that use it are "+
				"refused from now on.", at, p[store.ParamKeyName], from),
			para("If this was not you, someone can sign in to your account: sign in to the dashboard (%s), "+
				"change your password, remove any SSH key you do not recognise, and tell us in the Support tab.",
				site.Dashboard),
		}
	case store.MailWebhookAdded:
		c.Subject = "Your WantSMS account now sends its SMS to a webhook"
		c.Blocks = []Block{
			para("On %s, a webhook was added to your WantSMS account%s. From now on every SMS your numbers "+
				"receive, with its code, and the account's other events are also sent to this address:", at, from),
			{Text: p[store.ParamURL], Code: true},
			para("If this was not you, someone can use your account: sign in to the dashboard (%s), remove the "+
				"webhook under Account, Webhooks, change your password, and tell us in the Support tab.", site.Dashboard),
		}
	case store.MailSupportReply:
		c.Subject = "WantSMS support answered you"
		c.Blocks = []Block{para("Our support staff answered your conversation. The answer is in the Support tab "+
			"of the dashboard: %s", site.Dashboard)}
	case store.MailTopupReceipt:
		c = receiptContent(p, at, site)
	case store.MailRentalEnding:
		c = rentalEndingContent(p, site)
	default:
		return Content{}, fmt.Errorf("mail %d: unknown kind %q", m.ID, m.Kind)
	}
	if m.Kind.Notice() {
		if p[store.ParamUnsubscribe] == "" {
			return Content{}, fmt.Errorf("mail %d: a notice without its unsubscribe token", m.ID)
		}
		c.Unsubscribe = site.PublicURL + UnsubscribePath + p[store.ParamUnsubscribe]
	}
	return c, nil
}

func verifyContent(p map[string]string, site Site) Content {
	code := Block{Text: p[store.ParamCode], Code: true}
	ttl := period(store.VerifyCodeTTL)
	if p[store.ParamChange] == "1" {
		// No link: a change is confirmed from inside the account only, or
		// whoever reads a mistyped address could take the account over.
		return Content{Subject: "Confirm your new email address for WantSMS", Blocks: []Block{
			para("Someone signed in to a WantSMS account asked to use this address for it. If that was you, "+
				"type this code in the dashboard (%s), in the Account tab (press v):", site.Dashboard),
			code,
			para("The account keeps its current address until then. The code works once, within %s. There is "+
				"no link to open: a new address is confirmed only from inside the account. If it was not you, "+
				"ignore this email: the account will not use this address.", ttl),
		}}
	}
	link := site.PublicURL + VerifyPath + p[store.ParamLink]
	return Content{Subject: "Verify your email address for WantSMS", Blocks: []Block{
		para("Welcome to WantSMS. To verify that this address is yours, type this code in the dashboard (%s), "+
			"in the Account tab (press v):", site.Dashboard),
		code,
		para("or open this link and press the button on its page:"),
		{Link: link},
		para("The code and the link work once, within %s. Until the address is verified, the account can use "+
			"the credits it has but top up only a little. If you did not sign up for WantSMS, ignore this email.",
			ttl),
	}}
}

func receiptContent(p map[string]string, at string, site Site) Content {
	cents, _ := strconv.ParseInt(p[store.ParamCents], 10, 64)
	by := "card (Stripe)"
	if p[store.ParamProcessor] == string(store.ProcessorBlockonomics) {
		by = "Bitcoin (Blockonomics)"
	}
	return Content{Subject: "Receipt for your WantSMS top-up " + p[store.ParamOrder], Blocks: []Block{
		para("Thank you. Your top-up was credited:"),
		{Items: []string{"Order: " + p[store.ParamOrder], "Paid by: " + by,
			"Added to your balance: " + store.FormatCents(cents), "Date: " + at}},
		para("Your balance and every top-up are in the Wallet tab of the dashboard: %s", site.Dashboard),
	}}
}

// rentalEndingContent tells that a rented number ends soon, and how to
// keep it.
func rentalEndingContent(p map[string]string, site Site) Content {
	id := "R" + p[store.ParamRental]
	service, country := p[store.ParamService], p[store.ParamCountry]
	if s, ok := provider.LookupService(service); ok {
		service = s.Name
	}
	if c, ok := provider.LookupCountry(country); ok {
		country = c.Name
	}
	ends := when(p[store.ParamEnds])
	return Content{Subject: "Your rented number " + p[store.ParamPhone] + " ends on " + ends, Blocks: []Block{
		para("Your rental %s of the number %s (%s, %s) ends on %s: no SMS reaches you on it after that.", id,
			p[store.ParamPhone], service, country, ends),
		para("To keep it, extend it in the Rentals tab of the dashboard (%s), or with this command, for 7 more "+
			"days (1, 14 or 30 work too):", site.Dashboard),
		{Text: site.Dashboard + " extend " + id + " --days 7", Code: true},
		para("If you do not need it any more, there is nothing to do: it ends by itself."),
	}}
}

// keyBlocks names the linked keys (params: one "name fingerprint" a line).
func keyBlocks(keys, state string) []Block {
	if keys == "" {
		return []Block{para("No SSH key is linked to the account.")}
	}
	return []Block{
		para("These SSH keys %s; remove any you do not recognise in Account:", state),
		{Items: strings.Split(keys, "\n")},
	}
}

// when writes an event's time (params: Unix seconds) in UTC.
func when(unix string) string {
	s, err := strconv.ParseInt(unix, 10, 64)
	if err != nil {
		return "an unknown date"
	}
	return time.Unix(s, 0).UTC().Format("2006-01-02 15:04 UTC")
}

// origin says where a change came from, as a clause: ", from 203.0.113.7".
func origin(addr string) string {
	if addr == "" {
		return ""
	}
	if h, _, err := net.SplitHostPort(addr); err == nil {
		addr = h
	}
	return ", from " + addr
}

// period writes a code's life: "24 hours", "30 minutes".
func period(d time.Duration) string {
	if d%time.Hour == 0 {
		return fmt.Sprintf("%d hours", int(d/time.Hour))
	}
	return fmt.Sprintf("%d minutes", int(d/time.Minute))
}

// wrapWidth is where the text part's paragraphs break (RFC 5322 asks for
// lines under 78 characters).
const wrapWidth = 72

// Text renders the plain-text part.
func (c Content) Text() string {
	var b strings.Builder
	for _, bl := range c.blocks() {
		switch {
		case bl.Code:
			b.WriteString("    " + bl.Text + "\n\n")
		case bl.Link != "":
			b.WriteString(bl.Link + "\n\n")
		case bl.Items != nil:
			for _, it := range bl.Items {
				b.WriteString("  - " + it + "\n")
			}
			b.WriteString("\n")
		default:
			b.WriteString(wrap(bl.Text, wrapWidth) + "\n\n")
		}
	}
	return strings.TrimRight(b.String(), "\n") + "\n"
}

// HTML renders the HTML part: the same blocks, escaped.
func (c Content) HTML() string {
	var b strings.Builder
	b.WriteString(`<!doctype html><html><head><meta charset="utf-8"><title>` + html.EscapeString(c.Subject) +
		`</title></head><body style="font:16px/1.5 sans-serif;max-width:36em">`)
	for _, bl := range c.blocks() {
		switch {
		case bl.Code:
			b.WriteString(`<p style="font:bold 28px monospace;letter-spacing:3px">` + html.EscapeString(bl.Text) + `</p>`)
		case bl.Link != "":
			l := html.EscapeString(bl.Link)
			b.WriteString(`<p><a href="` + l + `">` + l + `</a></p>`)
		case bl.Items != nil:
			b.WriteString("<ul>")
			for _, it := range bl.Items {
				b.WriteString("<li>" + html.EscapeString(it) + "</li>")
			}
			b.WriteString("</ul>")
		default:
			b.WriteString("<p>" + html.EscapeString(bl.Text) + "</p>")
		}
	}
	b.WriteString("</body></html>\n")
	return b.String()
}

// blocks are the mail's blocks with a notice's unsubscribe line.
func (c Content) blocks() []Block {
	if c.Unsubscribe == "" {
		return c.Blocks
	}
	return append(append([]Block(nil), c.Blocks...),
		para("You get this email because this kind of notice is on for your account. To stop it, open this "+
			"link (or turn it off in the dashboard, under Account):"),
		Block{Link: c.Unsubscribe})
}

// wrap breaks a paragraph into lines of at most width characters where
// it can (a longer word stays whole).
func wrap(s string, width int) string {
	var b strings.Builder
	line := 0
	for i, w := range strings.Fields(s) {
		n := len([]rune(w))
		if i > 0 && line+1+n > width {
			b.WriteString("\n")
			line = 0
		} else if i > 0 {
			b.WriteString(" ")
			line++
		}
		b.WriteString(w)
		line += n
	}
	return b.String()
}
