// Package tui is what a person sees: the dashboard that runs inside each
// SSH session. This package is its shell only: the root model (app.go)
// owns the session's phase (the way in, then the dashboard), switches
// between the panes, draws the header, the tabs and the help bar around
// the active one (frame.go), and follows the account's live events.
// What a pane needs it finds in tui/kit (the session's Common, the
// keymap, the styles, shared pieces); the panes themselves are packages
// under tui/pane, composed in panes.go through kit.Pane, and the way in
// (sign in, sign up, link the key) is tui/auth. No pane knows another.
//
// I/O never happens in Update or View: it runs in tea.Cmds that return
// messages.
//
// May import from this repository: billing, provider/engine, store,
// tui/auth, tui/kit, tui/pane/account, tui/pane/admin, tui/pane/history,
// tui/pane/inbox, tui/pane/numbers, tui/pane/rentals, tui/pane/support,
// tui/pane/wallet, tui/sanitize.
package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/auth"
	"github.com/wantsms/wantsms/tui/kit"
	"github.com/wantsms/wantsms/tui/sanitize"
)

// The smallest window the dashboard lays out in; below it a "too small"
// screen asks for more room. Everything is designed for 80×24.
const (
	MinWidth  = 64
	MinHeight = 20
)

type phase int

const (
	phaseAuth phase = iota // the way in: sign in or up, link the key
	phaseDash              // the dashboard
)

// Model is the root of one session's program.
type Model struct {
	c       *kit.Common
	deps    Deps
	phase   phase
	auth    *auth.Flow
	panes   []kit.Pane
	active  int
	helpAll bool // the footer shows every key, not the short list
	sub     *store.Subscription
	notice  string // one-line message in the footer, e.g. after linking a key
	drawn   chromeMemos
}

// New builds the program's model over the session's Common and the
// server's services. user is the account resolved from the session's
// linked key (c.Session.Key), or nil when the person must sign in.
func New(c *kit.Common, d Deps, user *store.User) *Model {
	m := &Model{c: c, deps: d}
	if user != nil {
		c.User, c.UserID = *user, user.ID
		// The epoch the session begins under: a password reset moves it
		// on and so ends key sessions too.
		c.Standing = store.Standing{UserID: user.ID, Epoch: user.SessionEpoch}
		if c.Session.Key != nil {
			c.Standing.Key = c.Session.Key.Fingerprint
			c.Standing.Admin = c.Session.AdminKey && user.CheckAdmin() == nil
		}
		m.phase = phaseDash
	} else {
		m.auth = auth.New(c, d.Store)
	}
	return m
}

// Panes lists the dashboard's panes in tab order (none before sign-in).
func (m *Model) Panes() []kit.Pane { return m.panes }

// Init starts the dashboard when the session was signed in by its key.
func (m *Model) Init() tea.Cmd {
	if m.phase == phaseDash {
		return m.startDashboard()
	}
	return nil
}

// startDashboard builds the panes and subscribes to the account's events.
func (m *Model) startDashboard() tea.Cmd {
	m.phase, m.auth = phaseDash, nil
	m.panes = newPanes(m.c, m.deps)
	if post := m.c.Post; post != nil { // without Post, no live events
		// Told, not waited for: no goroutine per session sits on the
		// subscription; each arrival posts one message that drains it.
		m.sub = m.deps.Store.Hub().SubscribeNotify(m.c.UserID, func() { post(eventsReadyMsg{}) })
	}
	// One check of the standing once subscribed: a change made between
	// the sign-in and the subscription (a reset ending every session)
	// sent its event before this session listened.
	cmds := []tea.Cmd{m.checkStanding()}
	for _, p := range m.panes {
		cmds = append(cmds, p.Init())
	}
	m.resize()
	// The first pane is in view from the start (its countdown may tick).
	var cmd tea.Cmd
	m.panes[0], cmd = m.panes[0].Update(kit.ActivatedMsg{})
	return tea.Batch(append(cmds, cmd)...)
}

// Close releases what the model holds; the SSH layer calls it when the
// program has ended.
func (m *Model) Close() {
	if m.sub != nil {
		m.sub.Close()
	}
	for _, p := range m.panes {
		if c, ok := p.(kit.Closer); ok {
			c.Close()
		}
	}
}

type userLoadedMsg struct {
	user store.User
	err  error
	// lapse is what no longer holds of checked, the standing the session
	// had when it asked.
	lapse   store.Lapse
	checked store.Standing
	// standingOnly: only the standing was checked; user is not read.
	standingOnly bool
}

// eventsReadyMsg says the account's subscription has events queued.
type eventsReadyMsg struct{}

// takeEvents handles every queued event of the account, then asks to be
// told of the next. The user is read again once for the lot, when one of
// them may have changed it.
func (m *Model) takeEvents() (tea.Model, tea.Cmd) {
	if m.sub == nil {
		return m, nil
	}
	var cmds []tea.Cmd
	check, reload := false, false
	for {
		e, ok, closed := m.sub.TryNext()
		if closed {
			return m, tea.Batch(cmds...)
		}
		if !ok {
			break
		}
		msg := kit.EventMsg{Event: e, Missed: m.sub.Missed()}
		if e.Kind == store.EventAccountDeleted {
			m.c.SayGoodbye(kit.AccountDeletedGoodbye)
			return m, tea.Quit
		}
		read, standing := accountReads(msg)
		reload, check = reload || read, check || standing
		cmds = append(cmds, m.broadcast(msg))
	}
	if reload {
		cmds = append(cmds, m.reloadUser(check))
	}
	m.sub.Rearm()
	return m, tea.Batch(cmds...)
}

// accountReads says whether msg calls for reading the account again, and
// whether with a check of the session's standing (see reloadUser).
func accountReads(msg kit.EventMsg) (read, check bool) {
	return msg.Missed || msg.Event.ChangesUser(), msg.Missed || msg.Event.Kind == store.EventAccount
}

// reloadUser reads the account again and, with check, whether what the
// session rests on still holds: only a change to the account (keys,
// password, role) or missed events can have taken it away, so a balance
// change costs no more than the read (and an SMS, not even that).
func (m *Model) reloadUser(check bool) tea.Cmd {
	c, st, standing := m.c, m.deps.Store, m.c.Standing
	return func() tea.Msg {
		lapse := store.StandingHolds
		if check {
			var err error
			if lapse, err = st.CheckStanding(c.Ctx, standing); err != nil {
				return userLoadedMsg{err: err, checked: standing}
			}
		}
		u, err := st.UserByID(c.Ctx, c.UserID)
		return userLoadedMsg{user: u, err: err, lapse: lapse, checked: standing}
	}
}

// checkStanding checks once whether the session's standing still holds,
// without reading the account again.
func (m *Model) checkStanding() tea.Cmd {
	c, st, standing := m.c, m.deps.Store, m.c.Standing
	return func() tea.Msg {
		lapse, err := st.CheckStanding(c.Ctx, standing)
		return userLoadedMsg{err: err, lapse: lapse, checked: standing, standingOnly: true}
	}
}

// lapsed reports whether a reload found the session's standing gone, and
// says goodbye then. A reply about a standing the session has since
// replaced (its own password change) is stale; so is a changed password
// while this session's own change is in flight (a check follows it).
func (m *Model) lapsed(msg userLoadedMsg) bool {
	if msg.lapse == store.StandingHolds || msg.checked != m.c.Standing {
		return false
	}
	if msg.lapse == store.LapsePasswordChanged && m.c.PasswordChanging() {
		return false
	}
	goodbye := lapseGoodbye[msg.lapse]
	if msg.lapse == store.LapseAdminEnded && msg.user.Banned() {
		goodbye = "This session's admin powers ended: the account is suspended."
	}
	m.c.SayGoodbye(goodbye)
	return true
}

// lapseGoodbye is what a session that ends because its standing lapsed
// prints.
var lapseGoodbye = map[store.Lapse]string{
	store.LapseAccountGone:     kit.AccountDeletedGoodbye,
	store.LapseKeyRemoved:      "The SSH key this session signed in with was removed from the account. Goodbye.",
	store.LapsePasswordChanged: "The account's password was changed in another session. Sign in again with the new password.",
	store.LapseAdminEnded:      "This session's admin powers ended (revoked on the server host). Reconnect to continue.",
	store.LapseSessionsEnded: "The account's password was reset, which ends every other session of the account. " +
		"Reconnect to continue.",
}

// Update routes messages: sizes and events to everyone, keys to the
// active screen.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.c.Width, m.c.Height = msg.Width, msg.Height
		m.resize()
		return m, nil
	case tea.KeyMsg:
		m.c.Session.Touch()
		// bubbletea hands every session the same slice for the space
		// key, and bubbles' text inputs clean runes in place: each
		// session gets its own copy.
		msg.Runes = append([]rune(nil), msg.Runes...)
		if msg.Type != tea.KeyRunes || msg.Paste || len(msg.Runes) < 2 {
			return m.updateKey(msg)
		}
		// Keys typed quickly can arrive in one read ("1tele"): each is
		// its own key press, so a tab's digit switches the tab before the
		// letters go to the filter of the pane it opens.
		cmds := make([]tea.Cmd, 0, len(msg.Runes))
		for _, r := range msg.Runes {
			_, cmd := m.updateKey(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: msg.Alt})
			cmds = append(cmds, cmd)
		}
		return m, tea.Batch(cmds...)
	}
	if m.phase == phaseAuth {
		if done, ok := msg.(auth.DoneMsg); ok {
			m.c.User, m.c.UserID, m.c.Standing = done.User, done.User.ID, done.Standing
			m.notice = done.Notice
			return m, m.startDashboard()
		}
		return m, m.auth.Update(msg)
	}
	switch msg := msg.(type) {
	case kit.EventMsg:
		if msg.Event.Kind == store.EventAccountDeleted {
			m.c.SayGoodbye(kit.AccountDeletedGoodbye)
			return m, tea.Quit
		}
		read, check := accountReads(msg)
		if !read {
			return m, m.broadcast(msg)
		}
		return m, tea.Batch(m.broadcast(msg), m.reloadUser(check))
	case eventsReadyMsg:
		return m.takeEvents()
	case userLoadedMsg:
		if m.lapsed(msg) {
			return m, tea.Quit
		}
		if msg.err == nil && !msg.standingOnly {
			m.c.User = msg.user
		}
		return m, m.broadcast(msg)
	case kit.StandingChangedMsg:
		return m, m.reloadUser(true)
	}
	return m, m.broadcast(msg)
}

func (m *Model) updateKey(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	k := m.c.Keys
	if key.Matches(msg, k.ForceQ) {
		return m, tea.Quit
	}
	if m.phase == phaseAuth {
		return m, m.auth.Update(msg)
	}
	if len(m.panes) == 0 {
		return m, nil
	}
	m.notice = ""
	pane := m.panes[m.active]
	if !pane.Capturing() {
		switch {
		case key.Matches(msg, k.Quit):
			return m, tea.Quit
		case key.Matches(msg, k.Help):
			m.helpAll = !m.helpAll
			m.resize()
			return m, nil
		case key.Matches(msg, k.NextTab):
			return m, m.activate((m.active + 1) % len(m.panes))
		case key.Matches(msg, k.PrevTab):
			return m, m.activate((m.active + len(m.panes) - 1) % len(m.panes))
		case key.Matches(msg, k.TabIndex):
			return m, m.activate(int(msg.Runes[0] - '1'))
		}
	}
	var cmd tea.Cmd
	m.panes[m.active], cmd = pane.Update(msg)
	return m, cmd
}

func (m *Model) activate(i int) tea.Cmd {
	if i < 0 || i >= len(m.panes) || i == m.active {
		return nil
	}
	var leave, enter tea.Cmd
	m.panes[m.active], leave = m.panes[m.active].Update(kit.DeactivatedMsg{})
	m.active = i
	m.panes[i], enter = m.panes[i].Update(kit.ActivatedMsg{})
	return tea.Batch(leave, enter)
}

// broadcast gives a non-key message to every pane.
func (m *Model) broadcast(msg tea.Msg) tea.Cmd {
	var cmds []tea.Cmd
	for i, p := range m.panes {
		var cmd tea.Cmd
		m.panes[i], cmd = p.Update(msg)
		cmds = append(cmds, cmd)
	}
	return tea.Batch(cmds...)
}

// chrome is the number of rows the header, tabs, rule and footer take.
func (m *Model) chrome() int {
	footer := 1
	if m.helpAll && len(m.panes) > 0 {
		footer = lipgloss.Height(m.footer(m.panes[m.active]))
	}
	return 3 + footer + 1
}

func (m *Model) resize() {
	if m.auth != nil {
		m.auth.SetSize(m.c.Width, m.c.Height)
	}
	h := max(0, m.c.Height-m.chrome())
	for _, p := range m.panes {
		p.SetSize(m.c.Width-4, h)
	}
}

// View draws the current screen.
func (m *Model) View() string {
	w, h := m.c.Width, m.c.Height
	if w == 0 || h == 0 {
		return ""
	}
	if w < MinWidth || h < MinHeight {
		return m.tooSmall()
	}
	st := m.c.Styles
	if m.phase == phaseAuth {
		return m.centered(m.auth.View(), m.helpBar().ShortHelpView(m.auth.Help()))
	}
	pane := m.panes[m.active]
	f := newFrame(m.drawn.size, &m.drawn.body)
	f.add(m.header())
	f.add(m.tabs())
	f.add(m.drawn.rule.Get(w, func() string { return st.Muted.Render(strings.Repeat("─", w)) }))
	f.addBody(pane.View(), w-4, h-m.chrome(), spaces(st.Body.GetPaddingLeft()))
	f.add(m.footerLine(pane))
	out := f.String()
	m.drawn.size = len(out) + len(out)/8 // room for a little more
	return out
}

// footerLine is the footer as drawn, padded and cut to the window.
func (m *Model) footerLine(pane kit.Pane) string {
	k := footerKey{width: m.c.Width, notice: m.notice, all: m.helpAll}
	if m.notice == "" {
		if m.helpAll {
			k.keys = bindingsKey(append(pane.FullHelp(), m.globalHelp())...)
		} else {
			k.keys = bindingsKey(pane.ShortHelp())
		}
	}
	return m.drawn.footer.Get(k, func() string {
		return m.c.Styles.Header.MaxWidth(m.c.Width).Render(m.footer(pane))
	})
}

func (m *Model) footer(pane kit.Pane) string {
	if m.notice != "" {
		return m.c.Styles.Success.Render(m.notice)
	}
	if m.helpAll {
		return m.helpBar().FullHelpView(append(pane.FullHelp(), m.globalHelp()))
	}
	return m.helpBar().ShortHelpView(append(pane.ShortHelp(), m.c.Keys.Help, m.c.Keys.Quit))
}

func (m *Model) helpBar() help.Model {
	return m.c.Styles.Help(m.c.Width-2, m.helpAll) // the footer's padding
}

func (m *Model) globalHelp() []key.Binding {
	k := m.c.Keys
	return []key.Binding{k.NextTab, k.PrevTab, k.TabIndex, k.Help, k.Quit}
}

func (m *Model) header() string {
	u := m.c.User
	k := headerKey{width: m.c.Width, admin: m.c.Standing.Admin, email: u.Email, cents: u.BalanceCents,
		verified: u.Verified()}
	return m.drawn.header.Get(k, m.drawHeader)
}

func (m *Model) drawHeader() string {
	st := m.c.Styles
	left := st.Brand.Render("WantSMS")
	if m.c.Standing.Admin {
		left += st.Warning.Render(" admin")
	}
	right := st.HeaderEmail.Render(sanitize.Truncate(sanitize.Line(m.c.User.Email), 36)) + "  " +
		st.Balance.Render(store.FormatCents(m.c.User.BalanceCents))
	room := m.c.Width - 2 - lipgloss.Width(left) - lipgloss.Width(right)
	if !m.c.User.Verified() {
		left += st.Warning.Render(unverifiedBanner(room - 2))
	}
	gap := max(1, m.c.Width-2-lipgloss.Width(left)-lipgloss.Width(right))
	return st.Header.Render(left + strings.Repeat(" ", gap) + right)
}

// unverifiedBanner is what the header says, in at most room columns, until
// the account's address is verified: the longest of its forms that fits.
func unverifiedBanner(room int) string {
	for _, b := range []string{"  verify your email: Account tab, press v", "  verify your email (Account)",
		"  verify your email", " unverified"} {
		if len(b) <= room {
			return b
		}
	}
	return "" // a very long address in the narrowest window: the Account tab still says it
}

func (m *Model) tabs() string {
	var titles strings.Builder
	for _, p := range m.panes {
		titles.WriteString(p.Title())
		titles.WriteByte(0)
	}
	return m.drawn.tabs.Get(tabsKey{width: m.c.Width, active: m.active, titles: titles.String()}, m.drawTabs)
}

func (m *Model) drawTabs() string {
	st := m.c.Styles
	render := func(pad int, short bool) string {
		parts := make([]string, len(m.panes))
		for i, p := range m.panes {
			title := p.Title()
			if short && i != m.active {
				title = shortTitle(title)
			}
			label := fmt.Sprintf("%d %s", i+1, title)
			style := st.Tab
			if i == m.active {
				style = st.ActiveTab
			}
			parts[i] = style.Padding(0, pad).Render(label)
		}
		return st.TabBar.Render(strings.Join(parts, strings.Repeat(" ", 1-pad)))
	}
	// Seven tabs fill 80 columns; eight (an admin's) close up there, and
	// in the narrowest window the tabs not in view show their names'
	// first letters.
	if bar := render(1, false); lipgloss.Width(bar) <= m.c.Width {
		return bar
	}
	if bar := render(0, false); lipgloss.Width(bar) <= m.c.Width {
		return bar
	}
	return render(0, true)
}

// shortTitle is a tab's title cut to its first three letters, keeping a
// mark that follows it ("Sup (2)", "Ren !").
func shortTitle(title string) string {
	name, mark, _ := strings.Cut(title, " ")
	if r := []rune(name); len(r) > 3 {
		name = string(r[:3])
	}
	if mark != "" {
		return name + " " + mark
	}
	return name
}

// centered places a screen of the sign-in flow in the middle of the window
// with its help on the last row.
func (m *Model) centered(content, helpLine string) string {
	w, h := m.c.Width, m.c.Height
	box := lipgloss.Place(w, h-1, lipgloss.Center, lipgloss.Center, content)
	return lipgloss.JoinVertical(lipgloss.Left, box, m.c.Styles.Header.Render(helpLine))
}

func (m *Model) tooSmall() string {
	st := m.c.Styles
	msg := fmt.Sprintf("Window too small: %d×%d.\nWantSMS needs at least %d×%d.\n\nEnlarge the window, or press ctrl+c to quit.",
		m.c.Width, m.c.Height, MinWidth, MinHeight)
	return lipgloss.Place(m.c.Width, m.c.Height, lipgloss.Center, lipgloss.Center, st.Warning.Render(msg))
}
