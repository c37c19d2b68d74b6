// Package account is the Account pane: who you are, your SSH keys (add,
// rename, remove; a pasted key waits until a connection proves it), your
// password and email, and the code that verifies it (keys.go, email.go);
// what happened on the account, sign-ins and failures (activity.go); your
// data: what is kept and how long, the policy, the export command and
// deleting the account (data.go); the mail we send you: which notices
// go, and what was sent (mail.go); the API keys of the person's own
// programs (apikeys.go); and the webhooks, with their last deliveries and
// the secret that signs them (webhooks.go). Each page is one file; a new
// one takes its place in sections.
//
// May import from this repository: store, tui/kit, tui/sanitize,
// tui/wording (a webhook delivery's state, in the commands' words).
package account

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/kit"
)

// accountSection is one of the Account pane's pages, in the order ←/→
// walks them.
type accountSection int

const (
	sectionKeys     accountSection = iota // profile, keys, password, email
	sectionActivity                       // recent sign-ins and failures
	sectionMail                           // notices on or off, the mail log
	sectionAPIKeys                        // API keys: list, make, revoke
	sectionHooks                          // webhooks and their last deliveries
	sectionData                           // privacy policy, export, deletion
)

var sectionTitles = []string{"Profile & keys", "Sign-in activity", "Mail", "API keys", "Webhooks", "Privacy & data"}

// sectionShort are the titles the other pages go by when every title in
// full would not fit the width.
var sectionShort = []string{"Profile", "Activity", "Mail", "API keys", "Webhooks", "Privacy"}

// accountMode is what the Account pane is doing.
type accountMode int

const (
	accountList         accountMode = iota // browsing, actions by letter
	accountAddKey                          // pasting an authorized_keys line
	accountRename                          // renaming the selected key
	accountPassword                        // changing the password
	accountEmail                           // changing the email
	accountRemove                          // confirming a key's removal
	accountDelete                          // confirming the account's deletion
	accountPrivacy                         // reading the privacy policy
	accountVerify                          // typing a mailed verification code
	accountAPIKeyNew                       // naming a new API key, with the password
	accountAPIKeyShown                     // showing a new API key, this once
	accountAPIKeyRevoke                    // confirming an API key's revocation
	accountHookAdd                         // adding a webhook (URL, format, password)
	accountHookRemove                      // confirming a webhook's removal
	accountHookSecret                      // making a new signing secret (password)
)

// Pane is the Account pane: who you are, your keys and password, what
// happened on your account, and your data.
type Pane struct {
	c       *kit.Common
	st      Store
	w, h    int
	section accountSection
	keys    []store.Key
	events  []store.SecurityEvent
	policy  string           // the privacy policy version accepted at sign-up
	email   store.EmailState // the address, verified or not, and a change waiting
	notices []store.NoticeSetting
	mails   []store.MailLogEntry // the mail log, newest first
	apiKeys []store.APIKey       // live and revoked, oldest first
	cursor  int
	// apiCursor is the API key selected; apiTarget the name of the key a
	// question is about, or of the new key shown; newKey that key, held
	// only while it is on screen.
	apiCursor int
	apiTarget string
	newKey    string
	notice    int       // the notice kind selected on the Mail page
	target    store.Key // the key a question or rename is about, whatever the list does meanwhile
	mode      accountMode
	form      *kit.Form
	privacy   *kit.PolicyView
	status    kit.Status
	hooks     []store.Webhook // oldest first, each with its last deliveries
	// hookCursor is the webhook selected; hookTarget the one a removal
	// asks about, whatever the list does meanwhile.
	hookCursor int
	hookTarget store.Webhook
	// secret is the webhook signing secret just made: shown until the
	// page is left, never again.
	secret string
}

// accountEventsShown is how many security events the activity page loads:
// more than fit on a screen, fewer than anyone scrolls through.
const accountEventsShown = 50

// accountMailsShown is how many mails of the log the Mail page loads.
const accountMailsShown = 20

type loadedMsg struct {
	keys    []store.Key
	events  []store.SecurityEvent
	policy  string
	email   store.EmailState
	notices []store.NoticeSetting
	mails   []store.MailLogEntry
	apiKeys []store.APIKey
	hooks   []store.Webhook
	err     error
}

// doneMsg ends an action of the pane with a notice or an error.
type doneMsg struct {
	notice string
	err    error
	// password is set for this session's own password change: the new
	// password's tag ("" when it failed).
	password *string
	// secret is a webhook signing secret the action made, to show once.
	secret string
}

// deletedMsg: this session deleted its account.
type deletedMsg struct{}

// New makes the pane.
func New(c *kit.Common, st Store) *Pane { return &Pane{c: c, st: st} }

func (a *Pane) Title() string { return "Account" }

func (a *Pane) Init() tea.Cmd { return a.load() }

func (a *Pane) SetSize(w, h int) {
	a.w, a.h = w, h
	if a.privacy != nil {
		a.privacy.SetSize(w, h-2)
	}
}

func (a *Pane) Capturing() bool {
	return a.mode != accountList && a.mode != accountRemove && a.mode != accountAPIKeyRevoke &&
		a.mode != accountHookRemove
}

func (a *Pane) load() tea.Cmd {
	c, st, uid := a.c, a.st, a.c.UserID
	return func() tea.Msg {
		keys, err := st.Keys(c.Ctx, uid)
		if err != nil {
			return loadedMsg{err: err}
		}
		pending, err := st.PendingKeys(c.Ctx, uid)
		if err != nil {
			return loadedMsg{err: err}
		}
		keys = append(keys, pending...)
		events, err := st.SecurityEvents(c.Ctx, uid, accountEventsShown)
		if err != nil {
			return loadedMsg{err: err}
		}
		policy, err := st.PolicyVersionAccepted(c.Ctx, uid)
		if err != nil {
			return loadedMsg{err: err}
		}
		msg := loadedMsg{keys: keys, events: events, policy: policy}
		if msg.email, err = st.EmailState(c.Ctx, uid); err != nil {
			return loadedMsg{err: err}
		}
		if msg.notices, err = st.Notices(c.Ctx, uid); err != nil {
			return loadedMsg{err: err}
		}
		if msg.mails, err = st.MailLog(c.Ctx, uid, accountMailsShown); err != nil {
			return loadedMsg{err: err}
		}
		if msg.apiKeys, err = st.APIKeys(c.Ctx, uid); err != nil {
			return loadedMsg{err: err}
		}
		msg.hooks, msg.err = st.Webhooks(c.Ctx, uid, hookDeliveriesShown)
		return msg
	}
}

func (a *Pane) Update(msg tea.Msg) (kit.Pane, tea.Cmd) {
	switch msg := msg.(type) {
	case loadedMsg:
		if msg.err != nil {
			a.status.Err = a.c.Explain(msg.err)
			return a, nil
		}
		a.keysLoaded(msg.keys)
		a.events, a.policy = msg.events, msg.policy
		a.emailLoaded(msg.email)
		a.notices, a.mails = msg.notices, msg.mails
		a.notice = min(a.notice, max(0, len(a.notices)-1))
		a.apiKeysLoaded(msg.apiKeys)
		a.hooksLoaded(msg.hooks)
	case apiKeyMadeMsg:
		return a, a.apiKeyMade(msg)
	case kit.CopiedMsg:
		if msg.Owner == "account" {
			a.status.Notice = msg.What + " copied to your clipboard."
		}
	case doneMsg:
		a.status.Busy = false
		var changed tea.Cmd
		if msg.password != nil {
			changed = a.passwordChanged(*msg.password)
		}
		if msg.err != nil {
			a.status.Err = a.c.Explain(msg.err)
			if a.form != nil && a.mode != accountAddKey && a.mode != accountRename && a.mode != accountVerify {
				// The password goes; a webhook's URL and format stay.
				a.form.Clear(true)
				a.form.Focus(map[accountMode]int{accountHookAdd: 2}[a.mode])
			}
			return a, changed
		}
		a.mode, a.form, a.status.Err, a.status.Notice = accountList, nil, "", msg.notice
		if msg.secret != "" {
			a.secret = msg.secret
		}
		return a, tea.Batch(a.load(), changed)
	case deletedMsg:
		a.c.SayGoodbye(kit.AccountDeletedGoodbye)
		return a, tea.Quit
	case kit.PolicyClosedMsg:
		if a.mode == accountPrivacy {
			a.mode, a.privacy = accountList, nil
		}
	case kit.EventMsg:
		// The Mail page's log grows with most events (a support answer,
		// a credited top-up), the Webhooks page's deliveries too: they
		// follow them while in view.
		if msg.Event.Kind == store.EventAccount || msg.Missed || a.section == sectionMail || a.section == sectionHooks {
			return a, a.load()
		}
	case kit.ActivatedMsg:
		return a, a.load()
	case tea.KeyMsg:
		if a.status.Busy {
			return a, nil
		}
		return a, a.key(msg)
	}
	return a, nil
}

func (a *Pane) key(msg tea.KeyMsg) tea.Cmd {
	k := a.c.Keys
	switch a.mode {
	case accountList:
		return a.listKey(msg)
	case accountPrivacy:
		return a.privacy.Update(msg)
	case accountRemove:
		switch {
		case key.Matches(msg, k.Yes):
			return a.removeSelected()
		case key.Matches(msg, k.No):
			a.mode = accountList
		}
		return nil
	case accountAPIKeyRevoke:
		switch {
		case key.Matches(msg, k.Yes):
			return a.revokeAPIKey()
		case key.Matches(msg, k.No):
			a.mode = accountList
		}
		return nil
	case accountHookRemove:
		switch {
		case key.Matches(msg, k.Yes):
			return a.removeHook()
		case key.Matches(msg, k.No):
			a.mode = accountList
		}
		return nil
	case accountAPIKeyShown:
		return a.apiKeyShownKey(msg)
	}
	if key.Matches(msg, k.Back) {
		a.mode, a.form, a.status.Err = accountList, nil, ""
		return nil
	}
	submit, cmd := a.form.Update(msg)
	if submit {
		return a.submit()
	}
	return cmd
}

func (a *Pane) listKey(msg tea.KeyMsg) tea.Cmd {
	k := a.c.Keys
	a.status.Clear()
	n := accountSection(len(sectionTitles))
	switch {
	case key.Matches(msg, k.Left):
		a.section, a.secret = (a.section+n-1)%n, ""
		return a.load()
	case key.Matches(msg, k.Right):
		a.section, a.secret = (a.section+1)%n, ""
		return a.load()
	case key.Matches(msg, k.Privacy):
		a.mode, a.privacy = accountPrivacy, kit.NewPolicyView(a.c, a.w, a.h-2)
		return nil
	case a.waiting() && key.Matches(msg, k.VerifyCode):
		// From any page: the mails say "the Account tab, press v".
		a.section = sectionKeys
		a.open(accountVerify, kit.Field{Label: "Code", Limit: 20, Hint: "ABCD-EFGH"})
		return nil
	case a.waiting() && key.Matches(msg, k.NewCode):
		return a.resendCode()
	}
	switch a.section {
	case sectionKeys:
		return a.keysKey(msg)
	case sectionData:
		if key.Matches(msg, k.Delete) {
			a.open(accountDelete, kit.Field{Label: "Password", Secret: true, Limit: kit.PasswordFieldLimit})
		}
	case sectionMail:
		return a.mailKey(msg)
	case sectionAPIKeys:
		return a.apiKeysKey(msg)
	case sectionHooks:
		return a.hooksKey(msg)
	}
	return nil
}

func (a *Pane) open(mode accountMode, specs ...kit.Field) {
	a.mode, a.status.Err = mode, ""
	a.form = kit.NewForm(a.c, specs...)
	a.form.SetWidth(min(a.w, 76))
}

// run performs an action off the update loop and reports its outcome.
func (a *Pane) run(action func() (string, error)) tea.Cmd {
	a.status.Busy, a.status.Err = true, ""
	return func() tea.Msg {
		notice, err := action()
		return doneMsg{notice: notice, err: err}
	}
}

func (a *Pane) submit() tea.Cmd {
	switch a.mode {
	case accountDelete:
		return a.deleteAccount()
	case accountVerify:
		return a.submitCode()
	case accountAPIKeyNew:
		return a.submitAPIKey()
	case accountHookAdd, accountHookSecret:
		return a.submitHooks()
	}
	return a.submitKeys()
}

func (a *Pane) ShortHelp() []key.Binding {
	k := a.c.Keys
	submit := key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "save"))
	switch a.mode {
	case accountRemove, accountAPIKeyRevoke, accountHookRemove:
		return []key.Binding{k.Yes, k.No}
	case accountAPIKeyShown:
		done := key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "done"))
		return []key.Binding{k.Copy, done}
	case accountAPIKeyNew:
		create := key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "create"))
		return []key.Binding{create, k.NextIn, k.Back}
	case accountPrivacy:
		return a.privacy.Help()
	case accountDelete:
		del := key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "delete for good"))
		return []key.Binding{del, k.Back}
	case accountVerify:
		verify := key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "verify"))
		return []key.Binding{verify, k.Back}
	case accountList:
	default:
		return []key.Binding{submit, k.NextIn, k.Back}
	}
	switch a.section {
	case sectionKeys:
		if a.waiting() {
			return []key.Binding{k.Left, k.VerifyCode, k.NewCode, k.Email}
		}
		return []key.Binding{k.Left, k.Add, k.Rename, k.Remove, k.Password}
	case sectionData:
		return []key.Binding{k.Left, k.Privacy, k.Delete}
	case sectionMail:
		choose := key.NewBinding(key.WithKeys("up", "down"), key.WithHelp("↑/↓", "choose"))
		return []key.Binding{k.Left, choose, k.Toggle}
	case sectionAPIKeys:
		return []key.Binding{k.Left, k.APIKeyNew, k.APIKeyRevoke}
	case sectionHooks:
		return a.hookHelp()
	}
	return []key.Binding{k.Left}
}

func (a *Pane) FullHelp() [][]key.Binding {
	k := a.c.Keys
	if a.mode == accountList && a.section == sectionKeys {
		return [][]key.Binding{{k.Up, k.Down, k.Left}, {k.Add, k.Rename, k.Remove, k.Password},
			{k.Email, k.VerifyCode, k.NewCode, k.Privacy}}
	}
	return [][]key.Binding{{k.Up, k.Down, k.Left}, a.ShortHelp()}
}

func (a *Pane) View() string {
	if a.mode == accountPrivacy {
		return a.privacy.View()
	}
	st := a.c.Styles
	lines := []string{a.sectionTabs(), ""}
	switch a.section {
	case sectionKeys:
		lines = append(lines, a.keysView()...)
	case sectionActivity:
		lines = append(lines, a.activityView()...)
	case sectionData:
		lines = append(lines, a.dataView()...)
	case sectionMail:
		lines = append(lines, a.mailView()...)
	case sectionAPIKeys:
		lines = append(lines, a.apiKeysView()...)
	case sectionHooks:
		lines = append(lines, a.hooksView()...)
	}
	lines = append(lines, "")
	if status := a.status.View(st); status != "" {
		lines = append(lines, status)
	}
	return lipgloss.JoinVertical(lipgloss.Left, lines...)
}

// sectionTabs names the pages, the current one marked; they close up
// when they would not fit the pane's width.
func (a *Pane) sectionTabs() string {
	line := a.joinTabs(sectionTitles, "  ·  ")
	if lipgloss.Width(line) > a.w {
		line = a.joinTabs(sectionTitles, " · ")
	}
	if lipgloss.Width(line) > a.w {
		line = a.joinTabs(sectionShort, " · ")
	}
	return line
}

// joinTabs lays the page titles out, the current one in full and
// selected, the others as titles gives them.
func (a *Pane) joinTabs(titles []string, sep string) string {
	st := a.c.Styles
	tabs := make([]string, len(titles))
	for i, t := range titles {
		if accountSection(i) == a.section {
			tabs[i] = st.Selected.Render(sectionTitles[i])
		} else {
			tabs[i] = st.Muted.Render(t)
		}
	}
	return strings.Join(tabs, st.Muted.Render(sep))
}
