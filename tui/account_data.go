package tui

import (
	tea "github.com/charmbracelet/bubbletea"
)

// The Account pane's third page: what we keep and for how long, the
// policy, the export command, and deleting the account.

func (a *account) dataView() []string {
	st := a.c.Styles
	if a.mode == accountDelete {
		return []string{
			st.Warning.Render("Delete your account"),
			"",
			st.Text.Render("Deleted at once: your email and password, SSH keys, numbers and"),
			st.Text.Render("messages, sign-in history, support messages. Open sessions end."),
			st.Text.Render("Kept without your email or keys, for accounting: payment records"),
			st.Text.Render("and the credit ledger. Credits left are lost. There is no undo."),
			"",
			a.form.view(),
		}
	}
	return []string{
		st.Subtitle.Render("What we keep"),
		st.Text.Render("Numbers and their messages: 1 year; details for operating them: 6 months."),
		st.Text.Render("Sign-in records: 180 days. Payments and the credit ledger: for accounting."),
		st.Text.Render("We never send your email to number providers, and we run no trackers."),
		"",
		st.Key.Render("ctrl+p") + st.Text.Render("  read the privacy policy"),
		"",
		st.Subtitle.Render("Export my data"),
		st.Text.Render("Everything we hold on you, as JSON (run it where your linked key is):"),
		"  " + st.Code.Render(a.c.Deps.SSHWith("-T", "export")+" > mydata.json"),
		"",
		st.Key.Render("D") + st.Text.Render("       delete my account"),
	}
}

func (a *account) deleteAccount() tea.Cmd {
	c, uid, pw := a.c, a.c.UserID, a.form.value(0)
	a.busy, a.err = true, ""
	return func() tea.Msg {
		if err := c.Deps.Store.DeleteAccount(c.Ctx, uid, pw, c.Session.Origin); err != nil {
			return accountDoneMsg{err: err}
		}
		return accountDeletedMsg{}
	}
}

// accountDeletedGoodbye ends every session of a deleted account, the one
// that deleted it included.
const accountDeletedGoodbye = "This WantSMS account has been deleted. Goodbye."
