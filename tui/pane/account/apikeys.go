package account

import (
	"fmt"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/kit"
	"github.com/wantsms/wantsms/tui/sanitize"
)

// The Account pane's API keys page: the keys the person's own programs
// use the HTTP API with. Making one asks the password again (a key is a
// new way into the account) and shows it once, with a key to copy it;
// revoking one asks first, about that key by its name, whatever the list
// does meanwhile.

// apiKeyMadeMsg ends the making of a key: the key itself, shown once.
type apiKeyMadeMsg struct {
	name, key string
	err       error
}

func (a *Pane) apiKeysKey(msg tea.KeyMsg) tea.Cmd {
	k := a.c.Keys
	switch {
	case key.Matches(msg, k.Up):
		a.apiCursor = max(0, a.apiCursor-1)
	case key.Matches(msg, k.Down):
		a.apiCursor = min(max(0, len(a.apiKeys)-1), a.apiCursor+1)
	case key.Matches(msg, k.APIKeyNew):
		a.open(accountAPIKeyNew, kit.Field{Label: "Name", Limit: store.MaxKeyNameLen, Hint: "e.g. my-bot"},
			kit.Field{Label: "Password", Secret: true, Limit: kit.PasswordFieldLimit})
	case key.Matches(msg, k.APIKeyRevoke) && a.apiCursor < len(a.apiKeys):
		if sel := a.apiKeys[a.apiCursor]; sel.Revoked() {
			a.status.Err = fmt.Sprintf("API key %q is revoked already.", sel.Name)
		} else {
			a.mode, a.apiTarget = accountAPIKeyRevoke, sel.Name
		}
	}
	return nil
}

// apiKeyShownKey handles the keys while a new key is on screen: copy it,
// or put it away (it is not shown again).
func (a *Pane) apiKeyShownKey(msg tea.KeyMsg) tea.Cmd {
	k := a.c.Keys
	switch {
	case key.Matches(msg, k.Copy):
		return kit.CopyCmd(a.c, "account", a.newKey, "API key "+sanitize.Line(a.apiTarget))
	case key.Matches(msg, k.Enter), key.Matches(msg, k.Back):
		a.mode, a.newKey, a.apiTarget, a.status.Notice = accountList, "", "", ""
	}
	return nil
}

// submitAPIKey makes the key the form names, after the password.
func (a *Pane) submitAPIKey() tea.Cmd {
	c, st, uid, o := a.c, a.st, a.c.UserID, a.c.Session.Origin
	name, pw := a.form.Value(0), a.form.Value(1)
	if _, err := store.CleanKeyName(name); err != nil {
		a.status.Err = c.Explain(err)
		return nil
	}
	a.status.Busy, a.status.Err = true, ""
	return func() tea.Msg {
		k, key, err := st.CreateAPIKeyConfirmed(c.Ctx, uid, pw, name, o)
		return apiKeyMadeMsg{name: k.Name, key: key, err: err}
	}
}

// apiKeyMade shows a new key, this once.
func (a *Pane) apiKeyMade(msg apiKeyMadeMsg) tea.Cmd {
	a.status.Busy = false
	if msg.err != nil {
		a.status.Err = a.c.Explain(msg.err)
		if a.form != nil {
			a.form.Clear(true)
			a.form.Focus(1)
		}
		return nil
	}
	a.mode, a.form, a.newKey, a.apiTarget = accountAPIKeyShown, nil, msg.key, msg.name
	a.status.Err, a.status.Notice = "", ""
	return a.load()
}

// revokeAPIKey revokes the key the question named.
func (a *Pane) revokeAPIKey() tea.Cmd {
	c, st, uid, name := a.c, a.st, a.c.UserID, a.apiTarget
	return a.run(func() (string, error) {
		_, err := st.RevokeAPIKey(c.Ctx, uid, name, c.Session.Origin)
		return fmt.Sprintf("API key %q revoked: programs using it are refused from now on.", name), err
	})
}

// apiKeysLoaded takes a fresh list: the cursor stays on its key, and a
// revocation still to be confirmed closes if its key went meanwhile.
func (a *Pane) apiKeysLoaded(keys []store.APIKey) {
	var selected int64
	if a.apiCursor < len(a.apiKeys) {
		selected = a.apiKeys[a.apiCursor].ID
	}
	a.apiKeys = keys
	a.apiCursor = min(a.apiCursor, max(0, len(keys)-1))
	gone := a.mode == accountAPIKeyRevoke
	for i, k := range keys {
		if k.ID == selected {
			a.apiCursor = i
		}
		if !k.Revoked() && k.Name == a.apiTarget {
			gone = false
		}
	}
	if gone {
		a.mode, a.status.Err = accountList, fmt.Sprintf("API key %q was revoked meanwhile.", a.apiTarget)
	}
}

func (a *Pane) apiKeysView() []string {
	st := a.c.Styles
	switch a.mode {
	case accountAPIKeyNew:
		return []string{st.Subtitle.Render("New API key"),
			st.Muted.Render("A key lets a program use your balance: confirm with your password."), "", a.form.View()}
	case accountAPIKeyShown:
		return []string{
			st.Success.Render(fmt.Sprintf("API key %q created. Copy it now: it is not shown again.",
				sanitize.Line(a.apiTarget))),
			"",
			"  " + st.Code.Render(a.newKey),
			"",
			st.Muted.Render("We keep only a hash of it. Lost it? Revoke it and make another."),
			"",
			st.Key.Render("c") + st.Text.Render(" copy   ") + st.Key.Render("enter") + st.Text.Render(" done"),
		}
	}
	live := 0
	for _, k := range a.apiKeys {
		if !k.Revoked() {
			live++
		}
	}
	lines := []string{st.Subtitle.Render(fmt.Sprintf("API keys (%d)", live)) +
		st.Muted.Render("  for your own programs: the HTTP API, SMS-Activate compatible")}
	if len(a.apiKeys) == 0 {
		lines = append(lines, st.Muted.Render("No API key yet. Press a to make one."))
	} else {
		lines = append(lines, st.Muted.Render(fmt.Sprintf("  %-21s %-11s %s", "NAME", "CREATED", "LAST USED")))
		room := max(1, a.h-len(lines)-12) // the tabs, the help below, the question, the status
		first := max(0, min(a.apiCursor-room+1, len(a.apiKeys)-room))
		for i := first; i < len(a.apiKeys) && i < first+room; i++ {
			k := a.apiKeys[i]
			marker, name := "  ", st.Text
			if i == a.apiCursor {
				marker, name = st.Selected.Render("▸ "), st.Selected
			}
			used := "never"
			if !k.LastUsedAt.IsZero() {
				used = k.LastUsedAt.UTC().Format("2006-01-02 15:04")
			}
			if k.Revoked() {
				used += "  · revoked " + k.RevokedAt.UTC().Format("2006-01-02")
			}
			lines = append(lines, marker+name.Width(22).Render(sanitize.Truncate(k.Name, 21))+
				st.Muted.Render(fmt.Sprintf("%-11s %s", k.CreatedAt.UTC().Format("2006-01-02"), used)))
		}
	}
	lines = append(lines, "",
		st.Muted.Render("Programs send a key as api_key=KEY (the SMS-Activate protocol), in the"),
		st.Muted.Render("header X-ApiKey, or as Authorization: Bearer KEY. Whoever holds a key"),
		st.Muted.Render("can spend your balance: revoke the ones you no longer use. Commands:"),
		"  "+st.Code.Render(a.c.SSHWith("", "api-key create NAME")))
	if a.mode == accountAPIKeyRevoke {
		lines = append(lines, "",
			st.Warning.Render(fmt.Sprintf("Revoke API key %q? Programs using it are refused at once.",
				sanitize.Line(a.apiTarget))),
			st.Key.Render("y")+st.Text.Render(" revoke   ")+st.Key.Render("n")+st.Text.Render(" keep"))
	}
	return lines
}
