package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/sanitize"
)

// inboxAction is an action waiting for its y/n.
type inboxAction int

const (
	inboxNone inboxAction = iota
	inboxCancel
	inboxFinish
	inboxAgain
)

// inbox is the Inbox pane: open numbers, their SMS as they arrive, the
// code large, and the actions on a number.
type inbox struct {
	c       *Common
	w, h    int
	open    []store.Reservation
	loaded  bool
	cursor  int
	confirm inboxAction
	busy    bool
	err     string
	notice  string
	seen    map[int64]bool // message ids already shown: a new one rings
	tick    ticker
}

type inboxLoadedMsg struct {
	open []store.Reservation
	err  error
}

type inboxDoneMsg struct {
	notice string
	err    error
}

type bellMsg struct{}

func newInbox(c *Common) *inbox { return &inbox{c: c, tick: ticker{owner: "inbox"}} }

func (p *inbox) Title() string    { return "Inbox" }
func (p *inbox) Init() tea.Cmd    { return p.load() }
func (p *inbox) SetSize(w, h int) { p.w, p.h = w, h }
func (p *inbox) Capturing() bool  { return false }

func (p *inbox) load() tea.Cmd {
	c, uid := p.c, p.c.UserID
	return func() tea.Msg {
		open, err := c.Deps.Store.OpenReservations(c.Ctx, uid)
		return inboxLoadedMsg{open: open, err: err}
	}
}

// nextChange is when the soonest countdown on the Inbox changes (-1: none).
func (p *inbox) nextChange() time.Duration {
	now := p.c.now()
	out := time.Duration(-1)
	for _, r := range p.open {
		out = soonest(out, clockChange(r.ExpiresAt.Sub(now)))
	}
	return out
}

func (p *inbox) Update(msg tea.Msg) (Component, tea.Cmd) {
	switch msg := msg.(type) {
	case inboxLoadedMsg:
		if msg.err != nil {
			p.err = p.c.explain(msg.err)
			return p, nil
		}
		return p, tea.Batch(p.loaded1(msg.open), p.tick.ensure(p.nextChange()))
	case inboxDoneMsg:
		p.busy, p.confirm = false, inboxNone
		p.err, p.notice = p.c.explain(msg.err), msg.notice
		return p, p.load()
	case copiedMsg:
		if msg.owner == "inbox" {
			p.notice = msg.what + " copied to your clipboard."
		}
	case eventMsg:
		if msg.missed || msg.event.Kind == store.EventReservation || msg.event.Kind == store.EventMessage {
			return p, p.load()
		}
	case paneActivatedMsg:
		p.tick.active = true
		return p, tea.Batch(p.load(), p.tick.ensure(p.nextChange()))
	case paneDeactivatedMsg:
		p.tick.active = false
	case countdownTick:
		if msg.owner == p.tick.owner {
			return p, p.tick.tick(msg, p.nextChange())
		}
	case tea.KeyMsg:
		if !p.busy {
			return p, p.key(msg)
		}
	}
	return p, nil
}

// loaded1 takes a fresh list, keeps the cursor on the same number and
// rings the bell for a code that was not there before.
func (p *inbox) loaded1(open []store.Reservation) tea.Cmd {
	var selected int64
	if p.cursor < len(p.open) {
		selected = p.open[p.cursor].ID
	}
	first := p.seen == nil
	if first {
		p.seen = map[int64]bool{}
	}
	ring := false
	for _, r := range open {
		for _, m := range r.Messages {
			if !p.seen[m.ID] {
				p.seen[m.ID] = true
				ring = ring || (!first && m.Code != "")
			}
		}
	}
	known := map[int64]bool{}
	for _, r := range p.open {
		known[r.ID] = true
	}
	p.cursor = 0
	for i, r := range open {
		if r.ID == selected {
			p.cursor = i
		}
	}
	// A number just reserved comes first and is selected.
	if p.loaded && len(open) > 0 && !known[open[0].ID] {
		p.cursor = 0
	}
	p.open, p.loaded = open, true
	if !ring {
		return nil
	}
	p.notice = "" // e.g. "another SMS was asked for": it came
	c := p.c
	return func() tea.Msg {
		if c.Emit != nil {
			c.Emit("\a")
		}
		return bellMsg{}
	}
}

func (p *inbox) key(msg tea.KeyMsg) tea.Cmd {
	k := p.c.Keys
	if p.confirm != inboxNone {
		switch {
		case key.Matches(msg, k.Yes):
			return p.act()
		case key.Matches(msg, k.No):
			p.confirm = inboxNone
		}
		return nil
	}
	p.err, p.notice = "", ""
	if len(p.open) == 0 {
		return nil
	}
	r := p.open[p.cursor]
	switch {
	case key.Matches(msg, k.Up):
		p.cursor = max(0, p.cursor-1)
	case key.Matches(msg, k.Down):
		p.cursor = min(len(p.open)-1, p.cursor+1)
	case key.Matches(msg, k.CopyCode):
		if code := r.LatestCode(); code != "" {
			return copyCmd(p.c, "inbox", code, "Code "+sanitize.Line(code))
		}
		p.err = "No code yet on this number."
	case key.Matches(msg, k.CopyNumber):
		return copyCmd(p.c, "inbox", r.Phone, "Number "+sanitize.Line(r.Phone))
	case key.Matches(msg, k.CancelRes):
		p.ask(inboxCancel, r.CheckCancel(), "Finish it with f.")
	case key.Matches(msg, k.FinishRes):
		p.ask(inboxFinish, r.CheckFinish(), "Press x to cancel it.")
	case key.Matches(msg, k.AgainRes):
		p.ask(inboxAgain, r.CheckAgain(), "")
	}
	return nil
}

// ask opens a confirmation, or says why the action does not apply: the
// store's rule, in its words (those the engine and the commands give),
// and the key that helps here.
func (p *inbox) ask(a inboxAction, refused error, hint string) {
	if refused == nil {
		p.confirm = a
		return
	}
	p.err = sentence(p.c.explain(refused)) + "."
	if hint != "" {
		p.err += " " + hint
	}
}

// act runs the confirmed action on the selected number.
func (p *inbox) act() tea.Cmd {
	c, uid, r, what := p.c, p.c.UserID, p.open[p.cursor], p.confirm
	p.busy = true
	n := c.Deps.Numbers
	return func() tea.Msg {
		var err error
		notice := ""
		switch what {
		case inboxCancel:
			_, err = n.Cancel(c.Ctx, uid, r.ID)
			notice = fmt.Sprintf("Cancelled: %s refunded.", store.FormatCents(r.PriceCents))
		case inboxFinish:
			_, err = n.Finish(c.Ctx, uid, r.ID)
			notice = "Finished: the number is closed."
		case inboxAgain:
			err = n.Again(c.Ctx, uid, r.ID)
			notice = "Another SMS was asked for: it appears here when it comes."
		}
		if err != nil {
			notice = ""
		}
		return inboxDoneMsg{notice: notice, err: err}
	}
}

func (p *inbox) ShortHelp() []key.Binding {
	k := p.c.Keys
	if p.confirm != inboxNone {
		return []key.Binding{k.Yes, k.No}
	}
	if len(p.open) == 0 {
		return nil
	}
	return []key.Binding{k.CopyCode, k.CopyNumber, k.CancelRes, k.FinishRes, k.AgainRes}
}

func (p *inbox) FullHelp() [][]key.Binding {
	k := p.c.Keys
	return [][]key.Binding{{k.Up, k.Down}, p.ShortHelp()}
}

func (p *inbox) View() string {
	st := p.c.Styles
	if !p.loaded {
		return st.Title.Render("Inbox")
	}
	if len(p.open) == 0 {
		lines := []string{st.Title.Render("Inbox"), "",
			st.Muted.Render("No open numbers. Reserve one in Numbers (press 1): its SMS appear here.")}
		return lipgloss.JoinVertical(lipgloss.Left, append(lines, p.status()...)...)
	}
	lines := []string{st.Title.Render(fmt.Sprintf("Inbox · %d open", len(p.open))),
		st.Muted.Render(fmt.Sprintf("  %-18s %-14s %-10s %6s", "NUMBER", "SERVICE", "STATE", "LEFT"))}
	listRows := min(len(p.open), max(2, p.h/4))
	top := max(0, min(p.cursor-listRows/2, len(p.open)-listRows))
	now := p.c.now()
	for i := top; i < top+listRows; i++ {
		r := p.open[i]
		marker, style := "  ", st.Text
		if i == p.cursor {
			marker, style = st.Selected.Render("▸ "), st.Selected
		}
		row := fmt.Sprintf("%-18s %-14s %-10s %6s", sanitize.Truncate(sanitize.Line(r.Phone), 18),
			sanitize.Truncate(serviceName(r.Service), 14), stateLabel(r), clock(r.ExpiresAt.Sub(now)))
		sim := ""
		if r.Simulated {
			sim = st.Sim.Render(" simulated")
		}
		lines = append(lines, marker+style.Render(row)+sim)
	}
	lines = append(lines, "")
	lines = append(lines, p.detail(p.open[p.cursor])...)
	return lipgloss.JoinVertical(lipgloss.Left, append(lines, p.status()...)...)
}

// detail is the selected number: its code large and its messages.
func (p *inbox) detail(r store.Reservation) []string {
	st := p.c.Styles
	lines := []string{st.Subtitle.Render(sanitize.Line(r.Phone) + " · " + serviceName(r.Service) + " · " + countryName(r.Country))}
	if code := r.LatestCode(); code != "" {
		lines = append(lines, bigCode(st, code))
	} else {
		lines = append(lines, st.Muted.Render("Waiting for the SMS… it shows here by itself."))
	}
	room := max(1, p.h-len(lines)-8-min(len(p.open), max(2, p.h/4)))
	msgs := r.Messages
	if len(msgs) > room {
		msgs = msgs[len(msgs)-room:]
	}
	for i, m := range msgs {
		from := ""
		if m.Sender != "" {
			from = sanitize.Truncate(sanitize.Line(m.Sender), 16) + ": "
		}
		text := m.ReceivedAt.UTC().Format("15:04:05") + " " + from + sanitize.Line(m.Body)
		if i < len(msgs)-1 {
			lines = append(lines, st.Muted.Render(sanitize.Truncate(text, max(20, p.w))))
			continue
		}
		// The newest message is shown whole (a code may hide in a link).
		wrapped := strings.Split(lipgloss.NewStyle().Width(max(20, p.w)).Render(text), "\n")
		if len(wrapped) > newestMessageLines {
			wrapped = append(wrapped[:newestMessageLines-1], sanitize.Truncate(strings.Join(wrapped[newestMessageLines-1:], " "), max(20, p.w)))
		}
		for _, l := range wrapped {
			lines = append(lines, st.Text.Render(l))
		}
	}
	return lines
}

// newestMessageLines bounds how many rows the newest SMS may take: an SMS
// is at most a few hundred characters; more would push the list away.
const newestMessageLines = 4

func (p *inbox) status() []string {
	st := p.c.Styles
	if p.confirm != inboxNone && p.cursor < len(p.open) {
		r := p.open[p.cursor]
		q := map[inboxAction]string{
			inboxCancel: fmt.Sprintf("Cancel %s? You get %s back.", r.Phone, store.FormatCents(r.PriceCents)),
			inboxFinish: fmt.Sprintf("Finish %s? No more SMS will arrive on it.", r.Phone),
			inboxAgain:  fmt.Sprintf("Ask for another SMS on %s? It is free.", r.Phone),
		}[p.confirm]
		return []string{"", st.Warning.Render(sanitize.Line(q)) + "  " + st.Key.Render("y") + st.Text.Render(" yes  ") +
			st.Key.Render("n") + st.Text.Render(" no")}
	}
	switch {
	case p.busy:
		return []string{"", st.Muted.Render("Working…")}
	case p.err != "":
		return []string{"", st.Error.Width(max(20, p.w)).Render(sentence(p.err))}
	case p.notice != "":
		return []string{"", st.Success.Render(p.notice)}
	}
	return nil
}
