package account

import (
	"fmt"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/kit"
	"github.com/wantsms/wantsms/tui/sanitize"
)

// The Account pane's Mail page: the notices a person may turn off (each
// on or off with enter), and the log of what we mailed, when and whether
// it went. Mails about the account's security always go.

// noticeWhat says what each kind of notice is, beside its name.
var noticeWhat = map[store.MailKind]string{
	store.MailSupportReply: "when our staff answers you in Support",
	store.MailTopupReceipt: "a receipt when a top-up is credited",
	store.MailRentalEnding: "before a number you rent comes to its end",
}

func (a *Pane) mailKey(msg tea.KeyMsg) tea.Cmd {
	k := a.c.Keys
	switch {
	case key.Matches(msg, k.Up):
		a.notice = max(0, a.notice-1)
	case key.Matches(msg, k.Down):
		a.notice = min(max(0, len(a.notices)-1), a.notice+1)
	case key.Matches(msg, k.Toggle) && a.notice < len(a.notices):
		return a.toggleNotice(a.notices[a.notice])
	}
	return nil
}

// toggleNotice turns the notice the person saw the other way.
func (a *Pane) toggleNotice(n store.NoticeSetting) tea.Cmd {
	c, st, uid := a.c, a.st, a.c.UserID
	return a.run(func() (string, error) {
		state := "on"
		if n.On {
			state = "off"
		}
		return kit.Sentence(n.Kind.Label()) + " by email: " + state + ".", st.SetNotice(c.Ctx, uid, n.Kind, !n.On)
	})
}

func (a *Pane) mailView() []string {
	st := a.c.Styles
	lines := []string{st.Subtitle.Render("Notices by email") +
		st.Muted.Render("  to "+sanitize.Truncate(sanitize.Line(a.c.User.Email), 40))}
	for i, n := range a.notices {
		state, style := "[on] ", st.Success
		if !n.On {
			state, style = "[off]", st.Muted
		}
		marker, name := "  ", st.Text
		if i == a.notice {
			marker, name = st.Selected.Render("▸ "), st.Selected
		}
		lines = append(lines, marker+style.Render(state)+" "+name.Width(18).Render(n.Kind.Label())+
			st.Muted.Render(noticeWhat[n.Kind]))
	}
	lines = append(lines, st.Muted.Render("Security mails (codes, password, keys, address changes) always go."))
	if a.email.Email != "" && !a.email.Verified() {
		lines = append(lines, st.Warning.Render("Notices go only to a verified address: press v to verify yours."))
	}
	lines = append(lines, "", st.Subtitle.Render("Mails sent")+st.Muted.Render("  kept 6 months, never their codes"))
	if len(a.mails) == 0 {
		return append(lines, st.Muted.Render("  None yet."))
	}
	lines = append(lines, st.Muted.Render(fmt.Sprintf("  %-16s  %-21s %-20s %s", "WHEN", "MAIL", "TO", "STATUS")))
	room := max(1, a.h-len(lines)-4) // the tabs, a blank, the status
	for i, m := range a.mails {
		if i >= room {
			break
		}
		status, style := a.mailStatus(m.Status)
		row := fmt.Sprintf("  %-16s  %-21s %-20s ", m.CreatedAt.UTC().Format("2006-01-02 15:04"),
			sanitize.Truncate(m.Kind.Label(), 21), sanitize.Truncate(sanitize.Line(m.To), 20))
		lines = append(lines, st.Text.Render(row)+style.Render(status))
	}
	return lines
}

// mailStatus says where a mail is, for its owner.
func (a *Pane) mailStatus(s store.MailStatus) (string, lipgloss.Style) {
	st := a.c.Styles
	switch s {
	case store.MailSent:
		return "sent", st.Success
	case store.MailFailed:
		return "not delivered", st.Error
	case store.MailDropped:
		return "not sent", st.Muted // a newer code replaced it, or it expired first
	}
	return "waiting", st.Warning
}
