package account

import (
	"fmt"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/kit"
	"github.com/wantsms/wantsms/tui/sanitize"
	"github.com/wantsms/wantsms/tui/wording"
)

// The Account pane's Webhooks page: the URLs of the person's own systems
// that the account's events are posted to, each with its last deliveries
// and what the receiver answered. Adding one and making a new secret ask
// for the password (a webhook sends codes elsewhere); removing one asks
// to confirm, about the webhook it was asked on. The signing secret shows
// once, when made, until the page is left.

// hookDeliveriesShown is how many deliveries of each webhook the page
// loads; the selected webhook's are listed.
const hookDeliveriesShown = 5

func (a *Pane) hooksKey(msg tea.KeyMsg) tea.Cmd {
	k := a.c.Keys
	switch {
	case key.Matches(msg, k.Up):
		a.hookCursor = max(0, a.hookCursor-1)
	case key.Matches(msg, k.Down):
		a.hookCursor = min(max(0, len(a.hooks)-1), a.hookCursor+1)
	case key.Matches(msg, k.HookAdd):
		a.secret = ""
		a.open(accountHookAdd, kit.Field{Label: "URL", Limit: store.MaxWebhookURLLen,
			Hint: "https://hooks.example.com/wantsms"},
			kit.Field{Label: "Format", Limit: 12, Hint: "wantsms or sms-activate"},
			kit.Field{Label: "Password", Secret: true, Limit: kit.PasswordFieldLimit})
		a.form.SetValue(1, string(store.FormatWantSMS))
	case key.Matches(msg, k.HookSecret) && len(a.hooks) > 0:
		a.secret = ""
		a.open(accountHookSecret, kit.Field{Label: "Password", Secret: true, Limit: kit.PasswordFieldLimit})
	case key.Matches(msg, k.Remove) && len(a.hooks) > 0:
		a.mode, a.hookTarget = accountHookRemove, a.hooks[a.hookCursor]
	case key.Matches(msg, k.HookTest) && len(a.hooks) > 0:
		return a.testHook(a.hooks[a.hookCursor])
	}
	return nil
}

// submitHooks runs the open form of the Webhooks page.
func (a *Pane) submitHooks() tea.Cmd {
	c, st, uid, o := a.c, a.st, a.c.UserID, a.c.Session.Origin
	switch a.mode {
	case accountHookAdd:
		url, pw := a.form.Value(0), a.form.Value(2)
		clean, err := store.CleanWebhookURL(url)
		if err == nil {
			_, err = store.ParseWebhookFormat(a.form.Value(1))
		}
		if err != nil {
			a.status.Err = c.Explain(err)
			return nil
		}
		format, _ := store.ParseWebhookFormat(a.form.Value(1))
		return a.runSecret(func() (string, string, error) {
			added, err := st.AddWebhook(c.Ctx, uid, store.NewWebhook{URL: clean, Format: format, Password: &pw}, o)
			return fmt.Sprintf("Webhook %d added: the account's events now go there too.", added.ID), added.Secret, err
		})
	case accountHookSecret:
		pw := a.form.Value(0)
		return a.runSecret(func() (string, string, error) {
			secret, err := st.RotateWebhookSecret(c.Ctx, uid, &pw, o)
			return "New signing secret made: the old one signs nothing from now on.", secret, err
		})
	}
	return nil
}

// runSecret is run for an action that may make the signing secret.
func (a *Pane) runSecret(action func() (notice, secret string, err error)) tea.Cmd {
	a.status.Busy, a.status.Err = true, ""
	return func() tea.Msg {
		notice, secret, err := action()
		return doneMsg{notice: notice, err: err, secret: secret}
	}
}

// removeHook removes the webhook the question was about.
func (a *Pane) removeHook() tea.Cmd {
	c, st, uid, h := a.c, a.st, a.c.UserID, a.hookTarget
	return a.run(func() (string, error) {
		_, err := st.RemoveWebhook(c.Ctx, uid, h.ID, c.Session.Origin)
		return fmt.Sprintf("Webhook %d removed: nothing goes to it any more.", h.ID), err
	})
}

func (a *Pane) testHook(h store.Webhook) tea.Cmd {
	c, st, uid := a.c, a.st, a.c.UserID
	return a.run(func() (string, error) {
		_, err := st.TestWebhook(c.Ctx, uid, h.ID)
		return fmt.Sprintf("A test event is on its way to webhook %d: its answer shows below.", h.ID), err
	})
}

// hooksLoaded takes a fresh list: the cursor stays on its webhook, and a
// removal still to be confirmed closes if its webhook went meanwhile.
func (a *Pane) hooksLoaded(hooks []store.Webhook) {
	var selected int64
	if a.hookCursor < len(a.hooks) {
		selected = a.hooks[a.hookCursor].ID
	}
	a.hooks = hooks
	a.hookCursor = min(a.hookCursor, max(0, len(hooks)-1))
	gone := a.mode == accountHookRemove
	for i, h := range hooks {
		if h.ID == selected {
			a.hookCursor = i
		}
		if h.ID == a.hookTarget.ID {
			gone = false
		}
	}
	if gone {
		a.mode, a.status.Err = accountList, fmt.Sprintf("Webhook %d was removed meanwhile.", a.hookTarget.ID)
	}
}

func (a *Pane) hooksView() []string {
	st := a.c.Styles
	switch a.mode {
	case accountHookAdd:
		return []string{st.Subtitle.Render("Add a webhook"),
			st.Text.Render("Every SMS your numbers receive, with its code, each number or rental"),
			st.Text.Render("that ends and each top-up will also be posted to this URL."),
			st.Text.Render("Confirm with your password."),
			st.Muted.Render("Format: wantsms (every event, signed JSON) or sms-activate (SMS only,"),
			st.Muted.Render("as SMS-Activate's activation webhook). The URL must be public."),
			"", a.form.View()}
	case accountHookSecret:
		return []string{st.Subtitle.Render("Make a new signing secret"),
			st.Text.Render("Every post from now on is signed with the new secret, shown once;"),
			st.Text.Render("the old one signs nothing any more. Confirm with your password."), "", a.form.View()}
	}
	lines := []string{st.Subtitle.Render(fmt.Sprintf("Webhooks (%d of %d)", len(a.hooks), store.MaxWebhooks)) +
		st.Muted.Render("  your account's events, posted to your own systems")}
	if a.secret != "" {
		lines = append(lines, st.Warning.Render("Signing secret, shown this once: copy it now"),
			"  "+st.Code.Render(a.secret), "")
	}
	if len(a.hooks) == 0 {
		return append(lines, "",
			st.Muted.Render("None yet. Press a to add one: each SMS with its code, each number or rental"),
			st.Muted.Render("that ends and each top-up is posted to it, signed with your secret."),
			"", st.Muted.Render("For scripts: "+a.c.SSHWith("", "webhook --help")))
	}
	urlWidth := max(20, a.w-22)
	lines = append(lines, st.Muted.Render(fmt.Sprintf("  %-4s %-*s %s", "ID", urlWidth, "URL", "FORMAT")))
	for i, h := range a.hooks {
		marker, style := "  ", st.Text
		if i == a.hookCursor {
			marker, style = st.Selected.Render("▸ "), st.Selected
		}
		lines = append(lines, marker+style.Render(fmt.Sprintf("%-4d %-*s", h.ID, urlWidth,
			sanitize.Truncate(sanitize.Line(h.URL), urlWidth)))+" "+st.Muted.Render(string(h.Format)))
	}
	if a.mode == accountHookRemove {
		h := a.hookTarget
		return append(lines, "", st.Warning.Render(fmt.Sprintf("Remove webhook %d (%s)? Its queue goes too.", h.ID,
			sanitize.Truncate(sanitize.Line(h.URL), 36))),
			st.Key.Render("y")+st.Text.Render(" remove   ")+st.Key.Render("n")+st.Text.Render(" keep"))
	}
	return append(lines, a.deliveriesView()...)
}

// deliveriesView lists the selected webhook's last deliveries.
func (a *Pane) deliveriesView() []string {
	st := a.c.Styles
	if a.hookCursor >= len(a.hooks) {
		return nil
	}
	h := a.hooks[a.hookCursor]
	lines := []string{"", st.Subtitle.Render(fmt.Sprintf("Last deliveries to webhook %d", h.ID)) +
		st.Muted.Render("  UTC; kept 30 days, never what was sent")}
	if len(h.Recent) == 0 {
		return append(lines, st.Muted.Render("  Nothing sent yet: press t to send a test."))
	}
	lines = append(lines, st.Muted.Render(fmt.Sprintf("  %-8s  %-17s %-30s %s", "WHEN", "EVENT", "OUTCOME", "ANSWER")))
	for _, d := range h.Recent {
		outcome, style := wording.Delivery(d), st.Warning
		switch d.Status {
		case store.DeliveryDelivered:
			style = st.Success
		case store.DeliveryFailed:
			style = st.Error
		}
		row := st.Text.Render(fmt.Sprintf("  %-8s  %-17s ", d.CreatedAt.UTC().Format("15:04:05"), d.Event)) +
			style.Render(fmt.Sprintf("%-30s", sanitize.Truncate(outcome, 30)))
		if answer := sanitize.Line(d.Answer); answer != "" {
			row += " " + st.Muted.Render(sanitize.Truncate(answer, max(8, a.w-61)))
		}
		lines = append(lines, row)
	}
	return lines
}

// hookHelp is the help bar of the Webhooks page.
func (a *Pane) hookHelp() []key.Binding {
	k := a.c.Keys
	if len(a.hooks) == 0 {
		return []key.Binding{k.Left, k.HookAdd}
	}
	return []key.Binding{k.Left, k.HookAdd, k.Remove, k.HookTest, k.HookSecret}
}
