package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/sanitize"
)

// accountSection is one of the Account pane's three pages.
type accountSection int

const (
	sectionKeys     accountSection = iota // profile, keys, password, email
	sectionActivity                       // recent sign-ins and failures
	sectionData                           // privacy policy, export, deletion
)

var sectionTitles = []string{"Profile & keys", "Sign-in activity", "Privacy & data"}

// accountMode is what the Account pane is doing.
type accountMode int

const (
	accountList     accountMode = iota // browsing, actions by letter
	accountAddKey                      // pasting an authorized_keys line
	accountRename                      // renaming the selected key
	accountPassword                    // changing the password
	accountEmail                       // changing the email
	accountRemove                      // confirming a key's removal
	accountDelete                      // confirming the account's deletion
	accountPrivacy                     // reading the privacy policy
)

// account is the Account pane: who you are, your keys and password, what
// happened on your account, and your data.
type account struct {
	c       *Common
	w, h    int
	section accountSection
	keys    []store.Key
	events  []store.SecurityEvent
	policy  string // the privacy policy version accepted at sign-up
	cursor  int
	target  store.Key // the key a question or rename is about, whatever the list does meanwhile
	mode    accountMode
	form    *form
	privacy *privacyView
	busy    bool
	err     string
	notice  string
}

// accountEventsShown is how many security events the activity page loads:
// more than fit on a screen, fewer than anyone scrolls through.
const accountEventsShown = 50

type accountLoadedMsg struct {
	keys   []store.Key
	events []store.SecurityEvent
	policy string
	err    error
}

// accountDoneMsg ends an action of the pane with a notice or an error.
type accountDoneMsg struct {
	notice string
	err    error
	// password is set for this session's own password change: the new
	// password's tag ("" when it failed).
	password *string
}

// accountDeletedMsg: this session deleted its account.
type accountDeletedMsg struct{}

func newAccount(c *Common) *account { return &account{c: c} }

func (a *account) Title() string { return "Account" }

func (a *account) Init() tea.Cmd { return a.load() }

func (a *account) SetSize(w, h int) {
	a.w, a.h = w, h
	if a.privacy != nil {
		a.privacy.setSize(w, h-2)
	}
}

func (a *account) Capturing() bool {
	return a.mode != accountList && a.mode != accountRemove
}

func (a *account) load() tea.Cmd {
	c, uid := a.c, a.c.UserID
	return func() tea.Msg {
		keys, err := c.Deps.Store.Keys(c.Ctx, uid)
		if err != nil {
			return accountLoadedMsg{err: err}
		}
		pending, err := c.Deps.Store.PendingKeys(c.Ctx, uid)
		if err != nil {
			return accountLoadedMsg{err: err}
		}
		keys = append(keys, pending...)
		events, err := c.Deps.Store.SecurityEvents(c.Ctx, uid, accountEventsShown)
		if err != nil {
			return accountLoadedMsg{err: err}
		}
		policy, err := c.Deps.Store.PolicyVersionAccepted(c.Ctx, uid)
		return accountLoadedMsg{keys: keys, events: events, policy: policy, err: err}
	}
}

func (a *account) Update(msg tea.Msg) (Component, tea.Cmd) {
	switch msg := msg.(type) {
	case accountLoadedMsg:
		if msg.err != nil {
			a.err = a.c.explain(msg.err)
			return a, nil
		}
		a.keysLoaded(msg.keys)
		a.events, a.policy = msg.events, msg.policy
	case accountDoneMsg:
		a.busy = false
		var changed tea.Cmd
		if msg.password != nil {
			changed = a.passwordChanged(*msg.password)
		}
		if msg.err != nil {
			a.err = a.c.explain(msg.err)
			if a.form != nil && a.mode != accountAddKey && a.mode != accountRename {
				a.form.clear(true)
				a.form.setFocus(0)
			}
			return a, changed
		}
		a.mode, a.form, a.err, a.notice = accountList, nil, "", msg.notice
		return a, tea.Batch(a.load(), changed)
	case accountDeletedMsg:
		a.c.goodbye(accountDeletedGoodbye)
		return a, tea.Quit
	case privacyClosedMsg:
		if a.mode == accountPrivacy {
			a.mode, a.privacy = accountList, nil
		}
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
	case accountPrivacy:
		return a.privacy.update(msg)
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
	case key.Matches(msg, k.Left):
		a.section = (a.section + 2) % 3
		return a.load()
	case key.Matches(msg, k.Right):
		a.section = (a.section + 1) % 3
		return a.load()
	case key.Matches(msg, k.Privacy):
		a.mode, a.privacy = accountPrivacy, newPrivacyView(a.c, a.w, a.h-2)
		return nil
	}
	switch a.section {
	case sectionKeys:
		return a.keysKey(msg)
	case sectionData:
		if key.Matches(msg, k.Delete) {
			a.open(accountDelete, fieldSpec{label: "Password", secret: true, limit: passwordFieldLimit})
		}
	}
	return nil
}

func (a *account) open(mode accountMode, specs ...fieldSpec) {
	a.mode, a.err = mode, ""
	a.form = newForm(a.c, specs...)
	a.form.setWidth(min(a.w, 76))
}

// run performs an action off the update loop and reports its outcome.
func (a *account) run(action func() (string, error)) tea.Cmd {
	a.busy, a.err = true, ""
	return func() tea.Msg {
		notice, err := action()
		return accountDoneMsg{notice: notice, err: err}
	}
}

func (a *account) submit() tea.Cmd {
	if a.mode == accountDelete {
		return a.deleteAccount()
	}
	return a.submitKeys()
}

func (a *account) ShortHelp() []key.Binding {
	k := a.c.Keys
	submit := key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "save"))
	switch a.mode {
	case accountRemove:
		return []key.Binding{k.Yes, k.No}
	case accountPrivacy:
		return a.privacy.help()
	case accountDelete:
		del := key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "delete for good"))
		return []key.Binding{del, k.Back}
	case accountList:
	default:
		return []key.Binding{submit, k.NextIn, k.Back}
	}
	switch a.section {
	case sectionKeys:
		return []key.Binding{k.Left, k.Add, k.Rename, k.Remove, k.Password}
	case sectionData:
		return []key.Binding{k.Left, k.Privacy, k.Delete}
	}
	return []key.Binding{k.Left}
}

func (a *account) FullHelp() [][]key.Binding {
	k := a.c.Keys
	if a.mode == accountList && a.section == sectionKeys {
		return [][]key.Binding{{k.Up, k.Down, k.Left}, {k.Add, k.Rename, k.Remove}, {k.Password, k.Email, k.Privacy}}
	}
	return [][]key.Binding{{k.Up, k.Down, k.Left}, a.ShortHelp()}
}

func (a *account) View() string {
	if a.mode == accountPrivacy {
		return a.privacy.view()
	}
	st := a.c.Styles
	tabs := make([]string, len(sectionTitles))
	for i, t := range sectionTitles {
		if accountSection(i) == a.section {
			tabs[i] = st.Selected.Render(t)
		} else {
			tabs[i] = st.Muted.Render(t)
		}
	}
	lines := []string{strings.Join(tabs, st.Muted.Render("  ·  ")), ""}
	switch a.section {
	case sectionKeys:
		lines = append(lines, a.keysView()...)
	case sectionActivity:
		lines = append(lines, a.activityView()...)
	case sectionData:
		lines = append(lines, a.dataView()...)
	}
	lines = append(lines, "")
	switch {
	case a.busy:
		lines = append(lines, st.Muted.Render("Working…"))
	case a.err != "":
		lines = append(lines, st.Error.Render(sanitize.Line(a.err)))
	case a.notice != "":
		lines = append(lines, st.Success.Render(sanitize.Line(a.notice)))
	}
	return lipgloss.JoinVertical(lipgloss.Left, lines...)
}
