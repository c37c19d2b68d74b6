package account

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/kit"
	"github.com/wantsms/wantsms/tui/sanitize"
)

// The Account pane's first page: profile, SSH keys, password and email.

func (a *Pane) keysKey(msg tea.KeyMsg) tea.Cmd {
	k := a.c.Keys
	switch {
	case key.Matches(msg, k.Up):
		a.cursor = max(0, a.cursor-1)
	case key.Matches(msg, k.Down):
		a.cursor = min(max(0, len(a.keys)-1), a.cursor+1)
	case key.Matches(msg, k.Add):
		a.open(accountAddKey, kit.Field{Label: "Key", Limit: 8192, Hint: "ssh-ed25519 AAAA… you@laptop"},
			kit.Field{Label: "Name", Limit: store.MaxKeyNameLen, Hint: "optional, e.g. laptop"})
	case key.Matches(msg, k.Rename) && len(a.keys) > 0 && a.keys[a.cursor].Pending():
		a.status.Err = "A pending key is named when you add it: remove it and add it again to rename it."
	case key.Matches(msg, k.Rename) && len(a.keys) > 0:
		a.target = a.keys[a.cursor]
		a.open(accountRename, kit.Field{Label: "New name", Limit: store.MaxKeyNameLen})
		a.form.SetValue(0, a.target.Name)
	case key.Matches(msg, k.Remove) && len(a.keys) > 0:
		a.mode, a.target = accountRemove, a.keys[a.cursor]
	case key.Matches(msg, k.Password):
		a.open(accountPassword, kit.Field{Label: "Current", Secret: true, Limit: kit.PasswordFieldLimit},
			kit.Field{Label: "New", Secret: true, Limit: kit.PasswordFieldLimit},
			kit.Field{Label: "Confirm", Secret: true, Limit: kit.PasswordFieldLimit})
	case key.Matches(msg, k.Email):
		a.open(accountEmail, kit.Field{Label: "New email", Limit: 254, Hint: "you@example.com"},
			kit.Field{Label: "Password", Secret: true, Limit: kit.PasswordFieldLimit})
	}
	return nil
}

// submitKeys runs the open form of the first page.
func (a *Pane) submitKeys() tea.Cmd {
	c, uid, o := a.c, a.c.UserID, a.c.Session.Origin
	st := a.st
	switch a.mode {
	case accountAddKey:
		spec, err := store.ParseAuthorizedKey(a.form.Value(0))
		if err != nil {
			a.status.Err = c.Explain(err)
			return nil
		}
		name := strings.TrimSpace(a.form.Value(1))
		if name != "" {
			if _, err := store.CleanKeyName(name); err != nil {
				a.status.Err = c.Explain(err)
				return nil
			}
		}
		if c.Session.Key != nil && c.Session.Key.Fingerprint == spec.Fingerprint {
			// This very connection signed with it: proved, linked at once.
			return a.run(func() (string, error) {
				k, err := st.LinkKey(c.Ctx, uid, spec, name, o)
				return fmt.Sprintf("Key %q linked (this connection uses it).", k.Name), err
			})
		}
		// Anyone may know a public key: it links only once a connection
		// proves it. The answer is the same whoever holds the key.
		return a.run(func() (string, error) {
			k, err := st.AddPendingKey(c.Ctx, uid, spec, name, o)
			return fmt.Sprintf("Key %q added, pending: connect with it and sign in by %s.", k.Name,
				k.PendingUntil.UTC().Format("2 Jan 15:04 UTC")), err
		})
	case accountRename:
		id, name := a.target.ID, a.form.Value(0)
		return a.run(func() (string, error) {
			return "Key renamed.", st.RenameKey(c.Ctx, uid, id, name, o)
		})
	case accountPassword:
		cur, next, confirm := a.form.Value(0), a.form.Value(1), a.form.Value(2)
		if err := store.CheckPasswordRules(next); err != nil {
			a.status.Err = c.Explain(err)
			return nil
		}
		if next != confirm {
			a.status.Err = "The new passwords do not match."
			a.form.Clear(true)
			a.form.Focus(0)
			return nil
		}
		// Until its answer arrives, the change's own event must not end
		// this session (passwordChanged settles it).
		c.PasswordChangeStarted()
		a.status.Busy, a.status.Err = true, ""
		return func() tea.Msg {
			tag, err := st.ChangePassword(c.Ctx, uid, cur, next, o)
			return doneMsg{notice: "Password changed. Other sessions that signed in with the old one have ended.",
				err: err, password: &tag}
		}
	case accountEmail:
		email, pw := a.form.Value(0), a.form.Value(1)
		if _, err := store.NormalizeEmail(email); err != nil {
			a.status.Err = c.Explain(err)
			return nil
		}
		// The store only asks for the change: the account keeps its
		// address until the code mailed to the new one is typed here.
		return a.run(func() (string, error) {
			if _, err := st.ChangeEmail(c.Ctx, uid, pw, email, o); err != nil {
				return "", err
			}
			to, _ := store.NormalizeEmail(email)
			return changeAsked(to), nil
		})
	}
	return nil
}

// keysLoaded takes a fresh key list: the cursor stays on the key it was
// on (a key added or removed elsewhere shifts the rows), and a removal
// still to be confirmed closes if its key went meanwhile.
func (a *Pane) keysLoaded(keys []store.Key) {
	var selected store.Key
	if a.cursor < len(a.keys) {
		selected = a.keys[a.cursor]
	}
	a.keys = keys
	a.cursor = min(a.cursor, max(0, len(keys)-1))
	gone := a.mode == accountRemove
	for i, k := range keys {
		if sameKey(k, selected) {
			a.cursor = i
		}
		if sameKey(k, a.target) {
			gone = false
		}
	}
	if gone {
		a.mode, a.status.Err = accountList, fmt.Sprintf("Key %q was removed meanwhile.", a.target.Name)
	}
}

// sameKey tells whether two list rows are the same key: linked and
// pending keys are numbered apart.
func sameKey(x, y store.Key) bool { return x.ID == y.ID && x.Pending() == y.Pending() }

// passwordChanged settles this session's own password change: a session
// that signed in with the password goes on with the new one, and checks
// its standing again (another session may have changed it meanwhile).
func (a *Pane) passwordChanged(tag string) tea.Cmd {
	a.c.PasswordChangeSettled()
	if tag != "" && a.c.Standing.Password != "" {
		a.c.Standing.Password = tag
	}
	return func() tea.Msg { return kit.StandingChangedMsg{} }
}

// removeSelected removes the key the question was about.
func (a *Pane) removeSelected() tea.Cmd {
	c, st, uid, k := a.c, a.st, a.c.UserID, a.target
	if k.Pending() {
		return a.run(func() (string, error) {
			return fmt.Sprintf("Pending key %q removed.", k.Name), st.RemovePendingKey(c.Ctx, uid, k.ID,
				c.Session.Origin)
		})
	}
	return a.run(func() (string, error) {
		return fmt.Sprintf("Key %q removed.", k.Name), st.RemoveKey(c.Ctx, uid, k.ID, c.Session.Origin)
	})
}

func (a *Pane) keysView() []string {
	st := a.c.Styles
	u := a.c.User
	role := "user"
	if u.IsAdmin() {
		role = "admin"
		if !a.c.Standing.Admin {
			role += " (admin powers need a host-enrolled key)"
		}
	}
	lines := append(a.emailRows(),
		st.Label.Render("Role")+st.Text.Render(role)+
			st.Muted.Render("   since "+u.CreatedAt.UTC().Format("2 Jan 2006")),
		"",
	)
	switch a.mode {
	case accountVerify:
		return append(lines, a.verifyView()...)
	case accountAddKey:
		return append(lines, st.Subtitle.Render("Add a key"),
			st.Muted.Render("Paste one line of your public key file, e.g. ~/.ssh/id_ed25519.pub"), "", a.form.View())
	case accountRename:
		return append(lines, st.Subtitle.Render("Rename "+sanitize.Line(a.target.Name)), "", a.form.View())
	case accountPassword:
		return append(lines, st.Subtitle.Render("Change password"), "", a.form.View())
	case accountEmail:
		return append(lines, st.Subtitle.Render("Change email"),
			st.Muted.Render("Confirm with your password. A code goes to the new address; the change"),
			st.Muted.Render("takes effect once you type it here. Until then your address stays."), "", a.form.View())
	}
	return append(lines, a.keyList()...)
}

func (a *Pane) keyList() []string {
	st := a.c.Styles
	lines := []string{st.Subtitle.Render(fmt.Sprintf("SSH keys (%d)", len(a.keys)))}
	pending := 0
	for _, k := range a.keys {
		if k.Pending() {
			pending++
		}
	}
	if len(a.keys) == 0 {
		return append(lines, st.Muted.Render("No key linked: you sign in with your password. Press a to add one."))
	}
	lines = append(lines, st.Muted.Render(fmt.Sprintf("  %-17s %-21s %-11s %s", "NAME", "FINGERPRINT", "ADDED", "LAST USED")))
	for i, k := range a.keys {
		marker, name := "  ", st.Text
		if i == a.cursor {
			marker, name = st.Selected.Render("▸ "), st.Selected
		}
		used := "never"
		if !k.LastUsedAt.IsZero() {
			used = k.LastUsedAt.UTC().Format("2006-01-02 15:04")
		}
		this := ""
		if k.Pending() {
			used = "pending until " + k.PendingUntil.UTC().Format("Jan 2")
		} else if a.c.Session.Key != nil && a.c.Session.Key.Fingerprint == k.Fingerprint {
			// Linked during this session, it has no sign-in on record
			// yet, but it is in use right now.
			this, used = st.Success.Render(" ●"), "now"
		}
		if k.Admin() {
			used += " · admin"
		}
		lines = append(lines, marker+name.Width(18).Render(sanitize.Truncate(k.Name, 17))+
			st.Muted.Render(fmt.Sprintf("%-21s %-11s %s", shortFingerprint(k.Fingerprint),
				k.AddedAt.UTC().Format("2006-01-02"), used))+this)
	}
	if a.c.Session.Key != nil {
		lines = append(lines, st.Success.Render("  ●")+st.Muted.Render(" the key of this session"))
	}
	if pending > 0 {
		lines = append(lines, st.Muted.Render("  A pending key is linked once you connect with it and sign in."))
	}
	if a.mode == accountRemove {
		k := a.target
		warn := ""
		switch {
		case a.c.Standing.Key == k.Fingerprint:
			warn = " This session signed in with it and ends; next time you will need your password."
		case a.c.Session.Key != nil && a.c.Session.Key.Fingerprint == k.Fingerprint:
			warn = " You are connected with it: next time you will need your password."
		}
		lines = append(lines, "", st.Warning.Render(fmt.Sprintf("Remove key %q?%s", sanitize.Line(k.Name), warn)),
			st.Key.Render("y")+st.Text.Render(" remove   ")+st.Key.Render("n")+st.Text.Render(" keep"))
	}
	return lines
}

// shortFingerprint keeps enough of a fingerprint to tell keys apart.
func shortFingerprint(fp string) string {
	if len(fp) > 19 {
		return fp[:19] + "…"
	}
	return fp
}
