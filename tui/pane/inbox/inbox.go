// Package inbox is the Inbox pane: the open numbers, their SMS as they
// arrive (the code large, a bell when one comes), and what can be done
// with a number now (copy, cancel, finish, another SMS, report it as bad
// and take another of its pair), offered, asked and refused by the same
// rules the engine applies.
//
// May import from this repository: provider (the offer of another
// number), provider/engine, store, tui/kit, tui/sanitize, tui/wording.
package inbox

import (
	"cmp"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/wantsms/wantsms/provider/engine"
	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/kit"
	"github.com/wantsms/wantsms/tui/sanitize"
)

// inboxAction is an action on the selected number.
type inboxAction int

const (
	inboxNone inboxAction = iota
	inboxCancel
	inboxFinish
	inboxAgain
	inboxCopyCode
	inboxReport // asks why: banned, used, or no SMS
)

// Pane is the Inbox pane: open numbers, their SMS as they arrive, the
// code large, and the actions on a number.
//
// The selection is a number, not a row: reloads (a number reserved by a
// script or another session, one that ended) keep the cursor on the
// number the person chose, and a question (y/n) is bound to the number it
// was asked about, whatever happens to the list meanwhile.
type Pane struct {
	c        *kit.Common
	st       Store
	eng      Engine // nil: no actions on this server
	w, h     int
	open     []store.Reservation
	loaded   bool
	cursor   int
	selected int64 // the selected number's id; 0 before there is one
	confirm  inboxAction
	target   store.Reservation // the number the open question is about
	busy     bool
	loadErr  string
	refusal  *inboxRefusal
	failure  *inboxFailure
	notice   string
	seen     map[int64]bool // message ids already shown: a new one rings
	tick     kit.Ticker
	// another is the offer of another number after a report, asked
	// about until answered (nil: none).
	another *anotherOffer
	// Reloads are coalesced: one runs at a time, and it answers for
	// every change counted before it started (a burst of SMS from
	// another instance is many events). changes counts the changes
	// asked about; the load reads it as it starts, on its own goroutine.
	changes *atomic.Int64
	loading bool // a load is in flight
	drawn   drawn
}

// inboxRefusal is an action the rules refused on a number. Its words are
// worked out again at every render, so the cancel guard's wait counts
// down and the line goes as soon as the rule lets the action through.
type inboxRefusal struct {
	id     int64
	action inboxAction
}

// inboxFailure is an action that failed on a number (id 0: on none in
// particular). It is shown while that number is selected and stands as it
// did after the failure (stamp), so it never outlives its truth.
type inboxFailure struct {
	id    int64
	stamp string // "" until the reload after the failure sets it
	text  string
}

type loadedMsg struct {
	open []store.Reservation
	err  error
	seen int64 // the changes counted when the load started
}

type doneMsg struct {
	id     int64
	notice string
	err    error
	// another is the offer after a report (nil: none); reserved is a
	// number reserved in its place (0: none), selected on reload.
	another  *anotherOffer
	reserved int64
}

type bellMsg struct{}

// New makes the pane; eng nil offers no action on a number.
func New(c *kit.Common, st Store, eng Engine) *Pane {
	return &Pane{c: c, st: st, eng: eng, tick: kit.NewTicker("inbox", c), changes: new(atomic.Int64)}
}

func (p *Pane) Title() string { return "Inbox" }
func (p *Pane) Init() tea.Cmd { return p.reload() }

// Close stops the pane's countdown tick (kit.Closer).
func (p *Pane) Close()           { p.tick.Stop() }
func (p *Pane) SetSize(w, h int) { p.w, p.h = w, h }
func (p *Pane) Capturing() bool  { return false }

// reload reads the open numbers again: now, or, when a load is in
// flight, once it is back unless it started after this change.
func (p *Pane) reload() tea.Cmd {
	p.changes.Add(1)
	if p.loading {
		return nil
	}
	p.loading = true
	return p.load()
}

func (p *Pane) load() tea.Cmd {
	c, st, uid, changes := p.c, p.st, p.c.UserID, p.changes
	return func() tea.Msg {
		seen := changes.Load()
		open, err := st.OpenReservations(c.Ctx, uid)
		return loadedMsg{open: open, err: err, seen: seen}
	}
}

// loadDone ends the load in flight and starts the next when a change came
// after it started.
func (p *Pane) loadDone(msg loadedMsg) tea.Cmd {
	p.loading = false
	if msg.seen >= p.changes.Load() {
		return nil
	}
	p.loading = true
	return p.load()
}

// current is the selected number.
func (p *Pane) current() (store.Reservation, bool) {
	if p.cursor < len(p.open) {
		return p.open[p.cursor], true
	}
	return store.Reservation{}, false
}

// nextChange is when the Inbox next shows something else by itself: a
// countdown, or the selected number's cancel guard ending (-1: never).
func (p *Pane) nextChange() time.Duration {
	now := p.st.Now()
	out := time.Duration(-1)
	for _, r := range p.open {
		out = kit.Soonest(out, kit.ClockChange(r.ExpiresAt.Sub(now)))
	}
	if r, ok := p.current(); ok && r.State == store.ResActive {
		out = kit.Soonest(out, kit.GuardChange(r.CancelAfter.Sub(now), p.showsRefusal(r)))
	}
	return out
}

func (p *Pane) Update(msg tea.Msg) (kit.Pane, tea.Cmd) {
	switch msg := msg.(type) {
	case loadedMsg:
		next := p.loadDone(msg)
		if msg.err != nil {
			p.loadErr = p.c.Explain(msg.err)
			return p, next
		}
		p.loadErr = ""
		return p, tea.Batch(next, p.loaded1(msg.open), p.tick.Ensure(p.nextChange()))
	case doneMsg:
		p.busy, p.confirm = false, inboxNone
		p.notice, p.failure, p.another = msg.notice, nil, msg.another
		if msg.err != nil {
			p.failure = &inboxFailure{id: msg.id, text: p.c.Explain(msg.err)}
		}
		if msg.reserved != 0 {
			p.selected = msg.reserved
		}
		return p, p.reload()
	case kit.CopiedMsg:
		if msg.Owner == "inbox" {
			p.notice = msg.What + " copied to your clipboard."
		}
	case kit.EventMsg:
		e := msg.Event
		if !msg.Missed && e.Kind == store.EventMessage && e.Message != nil {
			if cmd, ok := p.take(e.Message); ok {
				return p, tea.Batch(cmd, p.tick.Ensure(p.nextChange()))
			}
		}
		if msg.Missed || e.Kind == store.EventReservation || e.Kind == store.EventMessage {
			return p, p.reload()
		}
	case kit.ActivatedMsg:
		p.tick.SetActive(true)
		return p, tea.Batch(p.reload(), p.tick.Ensure(p.nextChange()))
	case kit.DeactivatedMsg:
		p.tick.SetActive(false)
	case kit.TickMsg:
		if p.tick.Owns(msg) {
			return p, p.tick.Tick(msg, p.nextChange())
		}
	case tea.KeyMsg:
		if !p.busy {
			cmd := p.key(msg)
			return p, tea.Batch(cmd, p.tick.Ensure(p.nextChange()))
		}
	}
	return p, nil
}

// take shows an SMS this process stored on a number the Inbox lists, as a
// reload would, without reading every open number again (at a thousand
// SMS a second those reads took a fifth of the server's CPU). ok is
// false when it cannot (the number is not listed yet, the last load
// failed, or a load is in flight, whose answer may predate the SMS):
// then the Inbox reloads.
func (p *Pane) take(m *store.Message) (tea.Cmd, bool) {
	if !p.loaded || p.loading || p.loadErr != "" {
		return nil, false
	}
	i := slices.IndexFunc(p.open, func(r store.Reservation) bool { return r.ID == m.ReservationID })
	if i < 0 {
		return nil, false
	}
	r := p.open[i]
	if slices.ContainsFunc(r.Messages, func(old store.Message) bool { return old.ID == m.ID }) {
		return nil, true
	}
	// Copies: the old list's messages may share their array with a
	// question's target.
	r.Messages = append(slices.Clip(r.Messages), *m)
	slices.SortStableFunc(r.Messages, func(a, b store.Message) int {
		return cmp.Or(a.ReceivedAt.Compare(b.ReceivedAt), cmp.Compare(a.ID, b.ID))
	})
	if r.State == store.ResActive {
		r.State = store.ResReceived // as the store marked it with the SMS
	}
	open := slices.Clone(p.open)
	open[i] = r
	return p.loaded1(open), true
}

// loaded1 takes a fresh list: the cursor stays on the selected number
// (on its neighbour if it ended), an open question follows its own number
// or closes saying why, and a code that was not there before rings.
func (p *Pane) loaded1(open []store.Reservation) tea.Cmd {
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
	p.open, p.loaded = open, true
	p.cursor = min(p.cursor, max(0, len(open)-1))
	for i, r := range open {
		if r.ID == p.selected {
			p.cursor = i
		}
	}
	p.selected = 0
	if r, ok := p.current(); ok {
		p.selected = r.ID
	}
	p.recheckQuestion()
	if f := p.failure; f != nil && f.stamp == "" {
		if r, ok := p.find(f.id); ok {
			f.stamp = stamp(r)
		}
	}
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

// recheckQuestion keeps an open question true to its number: it closes
// when the number ended or the action no longer applies, and says why.
func (p *Pane) recheckQuestion() {
	if p.confirm == inboxNone {
		return
	}
	r, ok := p.find(p.target.ID)
	switch {
	case !ok:
		p.failure = &inboxFailure{text: sanitize.Line(p.target.Phone) + " ended meanwhile: nothing was done."}
	case p.check(p.confirm, r) != nil:
		p.refusal = &inboxRefusal{id: r.ID, action: p.confirm}
	default:
		p.target = r
		return
	}
	p.confirm = inboxNone
}

func (p *Pane) find(id int64) (store.Reservation, bool) {
	for _, r := range p.open {
		if r.ID == id {
			return r, true
		}
	}
	return store.Reservation{}, false
}

// stamp is what a failure on a number holds true for: its state and how
// many messages it has.
func stamp(r store.Reservation) string { return fmt.Sprintf("%s/%d", r.State, len(r.Messages)) }

func (p *Pane) key(msg tea.KeyMsg) tea.Cmd {
	k := p.c.Keys
	if p.another != nil {
		return p.anotherKey(msg)
	}
	if p.confirm == inboxReport {
		return p.reasonKey(msg)
	}
	if p.confirm != inboxNone {
		switch {
		case key.Matches(msg, k.Yes):
			return p.act()
		case key.Matches(msg, k.No):
			p.confirm = inboxNone
		}
		return nil
	}
	p.refusal, p.failure, p.notice = nil, nil, ""
	r, ok := p.current()
	if !ok {
		return nil
	}
	switch {
	case key.Matches(msg, k.Up):
		p.move(-1)
	case key.Matches(msg, k.Down):
		p.move(1)
	case key.Matches(msg, k.CopyCode):
		if p.ask(inboxCopyCode, r) {
			code := r.LatestCode()
			return kit.CopyCmd(p.c, "inbox", code, "Code "+sanitize.Line(code))
		}
	case key.Matches(msg, k.CopyNumber):
		return kit.CopyCmd(p.c, "inbox", r.Phone, "Number "+sanitize.Line(r.Phone))
	case key.Matches(msg, k.CancelRes):
		p.confirmIf(inboxCancel, r)
	case key.Matches(msg, k.FinishRes):
		p.confirmIf(inboxFinish, r)
	case key.Matches(msg, k.AgainRes):
		p.confirmIf(inboxAgain, r)
	case key.Matches(msg, k.ReportRes):
		p.confirmIf(inboxReport, r)
	}
	return nil
}

func (p *Pane) move(by int) {
	p.cursor = max(0, min(len(p.open)-1, p.cursor+by))
	if r, ok := p.current(); ok {
		p.selected = r.ID
	}
}

// confirmIf asks about an action on r, or says why it does not apply.
func (p *Pane) confirmIf(a inboxAction, r store.Reservation) {
	if p.ask(a, r) {
		p.confirm, p.target = a, r
	}
}

// ask reports whether the rules allow a on r now; if not, the refusal is
// shown for r (refusal lines are about the number, not the row).
func (p *Pane) ask(a inboxAction, r store.Reservation) bool {
	if p.check(a, r) == nil {
		return true
	}
	p.refusal = &inboxRefusal{id: r.ID, action: a}
	return false
}

// errNoCode refuses to copy a code that has not come.
var errNoCode = kit.Refusal("no code yet on this number")

// check is the rule for action a on r now: the store's and the engine's
// own (the same the engine applies again, and that commands give), so the
// Inbox offers, asks and refuses exactly as the action itself would.
func (p *Pane) check(a inboxAction, r store.Reservation) error {
	switch a {
	case inboxCancel:
		return engine.CheckCancel(r, p.st.Now())
	case inboxFinish:
		return r.CheckFinish()
	case inboxAgain:
		if err := r.CheckAgain(); err != nil {
			return err
		}
		if p.eng != nil && !p.eng.CanAgain(r.Provider) {
			return engine.ErrNoAgain
		}
	case inboxCopyCode:
		if r.LatestCode() == "" {
			return errNoCode
		}
	case inboxReport:
		// No guard: a report may come at once (the store counts those).
		return r.CheckCancel()
	}
	return nil
}

// showsRefusal reports whether the refusal on screen is about r and still
// true.
func (p *Pane) showsRefusal(r store.Reservation) bool {
	return p.refusal != nil && p.refusal.id == r.ID && p.check(p.refusal.action, r) != nil
}

// refusalText words the refusal of a on r, in the rule's words, with the
// key that helps instead where one does now.
func (p *Pane) refusalText(a inboxAction, r store.Reservation) string {
	text := kit.Sentence(p.c.Explain(p.check(a, r))) + "."
	switch {
	case a == inboxCancel && r.State == store.ResReceived:
		text += " Finish it with f."
	case a == inboxFinish && p.check(inboxCancel, r) == nil:
		text += " Press x to cancel it."
	}
	return text
}

// act runs the confirmed action on the number it was asked about.
func (p *Pane) act() tea.Cmd {
	c, uid, r, what := p.c, p.c.UserID, p.target, p.confirm
	p.busy = true
	n := p.eng
	return func() tea.Msg {
		var err error
		notice := ""
		switch what {
		case inboxCancel:
			_, err = n.Cancel(c.Ctx, uid, r.ID)
			notice = fmt.Sprintf("Cancelled %s: %s refunded.", sanitize.Line(r.Phone), store.FormatCents(r.PriceCents))
		case inboxFinish:
			_, err = n.Finish(c.Ctx, uid, r.ID)
			notice = "Finished " + sanitize.Line(r.Phone) + ": the number is closed."
		case inboxAgain:
			err = n.Again(c.Ctx, uid, r.ID)
			notice = "Another SMS was asked for: it appears here when it comes."
		}
		if err != nil {
			notice = ""
		}
		return doneMsg{id: r.ID, notice: notice, err: err}
	}
}

// ShortHelp offers only what the selected number allows now: the help
// bar changes as its state changes and as its cancel guard passes.
func (p *Pane) ShortHelp() []key.Binding {
	k := p.c.Keys
	switch {
	case p.another != nil:
		return p.anotherHelp()
	case p.confirm == inboxReport:
		return []key.Binding{k.ReportBanned, k.ReportUsed, k.ReportNoSMS, k.Back}
	case p.confirm != inboxNone:
		return []key.Binding{k.Yes, k.No}
	}
	r, ok := p.current()
	if !ok {
		return nil
	}
	var out []key.Binding
	for _, a := range []struct {
		action inboxAction
		b      key.Binding
	}{{inboxCopyCode, k.CopyCode}, {inboxNone, k.CopyNumber}, {inboxCancel, k.CancelRes},
		{inboxFinish, k.FinishRes}, {inboxAgain, k.AgainRes}, {inboxReport, k.ReportRes}} {
		if p.check(a.action, r) == nil {
			out = append(out, a.b)
		}
	}
	return out
}

func (p *Pane) FullHelp() [][]key.Binding {
	k := p.c.Keys
	return [][]key.Binding{{k.Up, k.Down}, p.ShortHelp()}
}
