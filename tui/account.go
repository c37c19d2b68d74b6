package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/sanitize"
)

// accountMode is what the Account pane is doing.
type accountMode int

const (
	accountList     accountMode = iota // keys listed, actions by letter
	accountAddKey                      // pasting an authorized_keys line
	accountRename                      // renaming the selected key
	accountPassword                    // changing the password
	accountRemove                      // confirming a key's removal
)

// account is the Account pane: who you are, your keys, your password.
type account struct {
	c      *Common
	w, h   int
	keys   []store.Key
	cursor int
	mode   accountMode
	form   *form
	busy   bool
	err    string
	notice string
}

type keysLoadedMsg struct {
	keys []store.Key
	err  error
}

// accountDoneMsg ends an action of the pane with a notice or an error.
type accountDoneMsg struct {
	notice string
	err    error
}

func newAccount(c *Common) *account { return &account{c: c} }

func (a *account) Title() string { return "Account" }

func (a *account) Init() tea.Cmd { return a.load() }

func (a *account) SetSize(w, h int) { a.w, a.h = w, h }

func (a *account) Capturing() bool { return a.mode != accountList && a.mode != accountRemove }

func (a *account) load() tea.Cmd {
	c, uid := a.c, a.c.User.ID // read here: Update may replace c.User meanwhile
	return func() tea.Msg {
		keys, err := c.Deps.Store.Keys(c.Ctx, uid)
		return keysLoadedMsg{keys: keys, err: err}
	}
}

func (a *account) Update(msg tea.Msg) (Component, tea.Cmd) {
	switch msg := msg.(type) {
	case keysLoadedMsg:
		if msg.err != nil {
			a.err = a.c.explain(msg.err)
			return a, nil
		}
		a.keys = msg.keys
		a.cursor = min(a.cursor, max(0, len(a.keys)-1))
	case accountDoneMsg:
		a.busy = false
		if msg.err != nil {
			a.err = a.c.explain(msg.err)
			if a.mode == accountPassword {
				a.form.clear(true)
			}
			return a, nil
		}
		a.mode, a.form, a.err, a.notice = accountList, nil, "", msg.notice
		return a, a.load()
	case eventMsg:
		if msg.event.Kind == store.EventAccount || msg.missed {
			return a, a.load()
		}
	case paneActivatedMsg:
		return a, a.load()
	case tea.KeyMsg:
		if a.busy {
			return a, nil
		}
		return a, a.key(msg)
	}
	return a, nil
}

func (a *account) key(msg tea.KeyMsg) tea.Cmd {
	k := a.c.Keys
	switch a.mode {
	case accountList:
		return a.listKey(msg)
	case accountRemove:
		switch {
		case key.Matches(msg, k.Yes):
			return a.removeSelected()
		case key.Matches(msg, k.No):
			a.mode = accountList
		}
		return nil
	}
	if key.Matches(msg, k.Back) {
		a.mode, a.form, a.err = accountList, nil, ""
		return nil
	}
	submit, cmd := a.form.update(msg)
	if submit {
		return a.submit()
	}
	return cmd
}

func (a *account) listKey(msg tea.KeyMsg) tea.Cmd {
	k := a.c.Keys
	a.err, a.notice = "", ""
	switch {
	case key.Matches(msg, k.Up):
		a.cursor = max(0, a.cursor-1)
	case key.Matches(msg, k.Down):
		a.cursor = min(max(0, len(a.keys)-1), a.cursor+1)
	case key.Matches(msg, k.Add):
		a.open(accountAddKey, fieldSpec{label: "Key", limit: 8192, hint: "ssh-ed25519 AAAA… you@laptop"},
			fieldSpec{label: "Name", limit: store.MaxKeyNameLen, hint: "optional, e.g. laptop"})
	case key.Matches(msg, k.Rename) && len(a.keys) > 0:
		a.open(accountRename, fieldSpec{label: "New name", limit: store.MaxKeyNameLen})
		a.form.inputs[0].SetValue(a.keys[a.cursor].Name)
	case key.Matches(msg, k.Remove) && len(a.keys) > 0:
		a.mode = accountRemove
	case key.Matches(msg, k.Password):
		a.open(accountPassword, fieldSpec{label: "Current", secret: true, limit: passwordFieldLimit},
			fieldSpec{label: "New", secret: true, limit: passwordFieldLimit},
			fieldSpec{label: "Confirm", secret: true, limit: passwordFieldLimit})
	}
	return nil
}

func (a *account) open(mode accountMode, specs ...fieldSpec) {
	a.mode, a.err = mode, ""
	a.form = newForm(a.c, specs...)
	a.form.setWidth(min(a.w, 76))
}

// submit runs the open form's action in a command.
func (a *account) submit() tea.Cmd {
	c, o, uid := a.c, a.c.Session.Origin, a.c.User.ID
	st := c.Deps.Store
	switch a.mode {
	case accountAddKey:
		spec, err := store.ParseAuthorizedKey(a.form.value(0))
		if err != nil {
			a.err = c.explain(err)
			return nil
		}
		name := strings.TrimSpace(a.form.value(1))
		if name != "" {
			if _, err := store.CleanKeyName(name); err != nil {
				a.err = c.explain(err)
				return nil
			}
		}
		return a.run(func() (string, error) {
			k, err := st.LinkKey(c.Ctx, uid, spec, name, o)
			return fmt.Sprintf("Key %q added.", k.Name), err
		})
	case accountRename:
		id, name := a.keys[a.cursor].ID, a.form.value(0)
		return a.run(func() (string, error) {
			return "Key renamed.", st.RenameKey(c.Ctx, uid, id, name, o)
		})
	case accountPassword:
		cur, next, confirm := a.form.value(0), a.form.value(1), a.form.value(2)
		if err := store.CheckPasswordRules(next); err != nil {
			a.err = c.explain(err)
			return nil
		}
		if next != confirm {
			a.err = "The new passwords do not match."
			a.form.clear(true)
			a.form.setFocus(0)
			return nil
		}
		return a.run(func() (string, error) {
			return "Password changed.", st.ChangePassword(c.Ctx, uid, cur, next, o)
		})
	}
	return nil
}

func (a *account) removeSelected() tea.Cmd {
	c, k, uid := a.c, a.keys[a.cursor], a.c.User.ID
	return a.run(func() (string, error) {
		return fmt.Sprintf("Key %q removed.", k.Name), c.Deps.Store.RemoveKey(c.Ctx, uid, k.ID, c.Session.Origin)
	})
}

// run performs an action off the update loop and reports its outcome.
func (a *account) run(action func() (string, error)) tea.Cmd {
	a.busy, a.err = true, ""
	return func() tea.Msg {
		notice, err := action()
		return accountDoneMsg{notice: notice, err: err}
	}
}

func (a *account) ShortHelp() []key.Binding {
	k := a.c.Keys
	switch a.mode {
	case accountList:
		return []key.Binding{k.Add, k.Rename, k.Remove, k.Password}
	case accountRemove:
		return []key.Binding{k.Yes, k.No}
	}
	submit := key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "save"))
	return []key.Binding{submit, k.NextIn, k.Back}
}

func (a *account) FullHelp() [][]key.Binding {
	k := a.c.Keys
	return [][]key.Binding{{k.Up, k.Down}, a.ShortHelp()}
}

func (a *account) View() string {
	st := a.c.Styles
	u := a.c.User
	role := "user"
	if u.IsAdmin() {
		role = "admin"
		if !a.c.ViaKey {
			role += " (sign in with a linked key to use it)"
		}
	}
	lines := []string{
		st.Title.Render("Account"),
		st.Label.Render("Email") + st.Text.Render(sanitize.Line(u.Email)),
		st.Label.Render("Role") + st.Text.Render(role),
		st.Label.Render("Since") + st.Text.Render(u.CreatedAt.UTC().Format("2 Jan 2006")),
		"",
	}
	switch a.mode {
	case accountAddKey:
		lines = append(lines, st.Subtitle.Render("Add a key"),
			st.Muted.Render("Paste one line of your public key file, e.g. ~/.ssh/id_ed25519.pub"), "", a.form.view())
	case accountRename:
		lines = append(lines, st.Subtitle.Render("Rename "+sanitize.Line(a.keys[a.cursor].Name)), "", a.form.view())
	case accountPassword:
		lines = append(lines, st.Subtitle.Render("Change password"), "", a.form.view())
	default:
		lines = append(lines, a.keysView()...)
	}
	lines = append(lines, "")
	switch {
	case a.busy:
		lines = append(lines, st.Muted.Render("Saving…"))
	case a.err != "":
		lines = append(lines, st.Error.Render(a.err))
	case a.notice != "":
		lines = append(lines, st.Success.Render(a.notice))
	}
	return lipgloss.JoinVertical(lipgloss.Left, lines...)
}

func (a *account) keysView() []string {
	st := a.c.Styles
	lines := []string{st.Subtitle.Render(fmt.Sprintf("SSH keys (%d)", len(a.keys)))}
	if len(a.keys) == 0 {
		return append(lines, st.Muted.Render("No key linked: you sign in with your password. Press a to add one."))
	}
	lines = append(lines, st.Muted.Render(fmt.Sprintf("  %-17s %-21s %-11s %s", "NAME", "FINGERPRINT", "ADDED", "LAST USED")))
	for i, k := range a.keys {
		marker := "  "
		name := st.Text
		if i == a.cursor {
			marker, name = st.Selected.Render("▸ "), st.Selected
		}
		used := "never"
		if !k.LastUsedAt.IsZero() {
			used = k.LastUsedAt.UTC().Format("2006-01-02 15:04")
		}
		this := ""
		if a.c.Session.Key != nil && a.c.Session.Key.Fingerprint == k.Fingerprint {
			this = st.Success.Render(" ●")
		}
		lines = append(lines, marker+name.Width(18).Render(sanitize.Truncate(sanitize.Line(k.Name), 17))+
			st.Muted.Render(fmt.Sprintf("%-21s %-11s %s", shortFingerprint(k.Fingerprint), k.AddedAt.UTC().Format("2006-01-02"), used))+this)
	}
	if a.c.Session.Key != nil {
		lines = append(lines, st.Success.Render("  ●")+st.Muted.Render(" the key of this session"))
	}
	if a.mode == accountRemove {
		k := a.keys[a.cursor]
		warn := ""
		if a.c.Session.Key != nil && a.c.Session.Key.Fingerprint == k.Fingerprint {
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
