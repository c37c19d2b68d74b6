package account

import (
	"fmt"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/wantsms/wantsms/store"
)

// The Account pane's third page: what we keep and for how long, the
// policy, the export command, and deleting the account.

func (a *Pane) dataView() []string {
	st := a.c.Styles
	if a.mode == accountDelete {
		return []string{
			st.Warning.Render("Delete your account"),
			"",
			st.Text.Render("Deleted at once: your email and password, SSH and API keys, webhooks,"),
			st.Text.Render("numbers and messages, sign-in history, support messages. Open sessions end."),
			st.Text.Render("Kept without your email or keys, for accounting: payment records"),
			st.Text.Render("and the credit ledger. Credits left are lost. There is no undo."),
			"",
			a.form.View(),
		}
	}
	// One screen of 80×24: the keys for the policy (ctrl+p) and deletion
	// (D) are in the help bar.
	lines := []string{st.Subtitle.Render("What we keep, and for how long")}
	for _, p := range store.RetentionPeriods() {
		lines = append(lines, st.Text.Render(fmt.Sprintf("  %-28s", p.Label))+st.Muted.Render(p.Period()))
	}
	return append(lines,
		st.Text.Render("Policy accepted at sign-up: ")+st.Code.Render(policyAccepted(a.policy))+
			st.Muted.Render(policyCurrent(a.policy)),
		st.Text.Render("No trackers, and your email never goes to number providers."),
		st.Subtitle.Render("Export my data")+st.Text.Render(" (from where your linked key is):"),
		"  "+st.Code.Render(a.c.SSHWith("-T", "export")+" > mydata.json"),
	)
}

// policyAccepted names the policy version an account accepted; accounts
// made before versions were recorded accepted the one of their time.
func policyAccepted(version string) string {
	if version == "" {
		return "before " + store.FirstRecordedPolicyVersion
	}
	return version
}

// policyCurrent says whether a newer policy is in force than the one
// accepted.
func policyCurrent(version string) string {
	if version == store.PrivacyPolicyVersion {
		return "  (the current one)"
	}
	return "  (current: " + store.PrivacyPolicyVersion + ")"
}

func (a *Pane) deleteAccount() tea.Cmd {
	c, st, uid, pw := a.c, a.st, a.c.UserID, a.form.Value(0)
	a.status.Busy, a.status.Err = true, ""
	return func() tea.Msg {
		if err := st.DeleteAccount(c.Ctx, uid, pw, c.Session.Origin); err != nil {
			return doneMsg{err: err}
		}
		return deletedMsg{}
	}
}
