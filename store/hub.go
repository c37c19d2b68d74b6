package store

import (
	"sync"
	"sync/atomic"
)

// EventKind says what changed; subscribers reload what they show from the
// database, except the SMS an EventMessage carries within one process.
type EventKind string

// The kinds of change a live session reacts to.
const (
	EventBalance        EventKind = "balance"         // the user's balance moved
	EventReservation    EventKind = "reservation"     // a reservation changed state
	EventMessage        EventKind = "message"         // an SMS arrived on a reservation, now received
	EventRental         EventKind = "rental"          // a rental changed: rented, SMS, extended, notice, ended
	EventOrder          EventKind = "order"           // a top-up order changed status
	EventSupport        EventKind = "support"         // a support thread got a message
	EventAccount        EventKind = "account"         // keys, role, ban or email changed
	EventAccountDeleted EventKind = "account_deleted" // the account is gone: end its sessions
	EventFavourites     EventKind = "favourites"      // a favourite was added or removed
	EventWebhook        EventKind = "webhook"         // a delivery to one of the user's webhooks was attempted
	// EventSettings concerns no user (UserID 0): an admin switched a
	// provider or changed a markup; engines read the settings again.
	EventSettings EventKind = "settings"
	// EventResync comes with Missed set: events from other instances may
	// have been lost (the connection that carries them was down), so
	// every subscriber reloads what it shows.
	EventResync EventKind = "resync"
)

// Event tells the subscribers of UserID that something of theirs changed
// (UserID 0: something that is no one user's, see Subscribe). Its first
// three fields are small and bounded: several instances carry them as
// they are (notify.go).
type Event struct {
	UserID int64
	Kind   EventKind
	Ref    int64 // id of the reservation, rental, order or thread concerned, if any
	// Message is the SMS an EventMessage announces, for the subscribers
	// of the process that stored it: they need not read it back (nil
	// when the event came from another instance). Shared by every
	// subscriber: read it, never change it.
	Message *Message
}

// ConcernsRental is ConcernsReservation for rental id.
func (e Event) ConcernsRental(id int64) bool {
	switch e.Kind {
	case EventRental:
		return e.Ref == id
	case EventAccount, EventAccountDeleted:
		return true
	}
	return false
}

// ConcernsReservation reports whether e may change what a view of
// reservation id shows (its state, its SMS) or whether the viewer may
// still see it (keys, sessions, the account itself): what a wait for one
// number listens to.
func (e Event) ConcernsReservation(id int64) bool {
	switch e.Kind {
	case EventReservation, EventMessage:
		return e.Ref == id
	case EventAccount, EventAccountDeleted:
		return true
	}
	return false
}

// ChangesUser reports whether e may change the account's own record
// (balance, debt, email, role, ban, sign-in epoch): every write to it
// tells its owner with EventBalance or EventAccount. A session reads the
// account again only for these, not for each SMS or state change.
func (e Event) ChangesUser() bool {
	switch e.Kind {
	case EventBalance, EventAccount, EventResync:
		return true
	}
	return false
}

// subscriptionBuffer is how many events a session may fall behind before
// the hub drops events for it and flags it to reload everything. Sessions
// drain their queue between renders, so 64 covers bursts (a code arriving
// together with balance and state changes) many times over.
const subscriptionBuffer = 64

// Hub fans events out to the subscriptions of each user, in process. It
// never blocks a publisher: a subscriber that is full is marked as having
// missed events instead.
type Hub struct {
	mu     sync.RWMutex
	byUser map[int64]map[*Subscription]struct{}
	all    map[*Subscription]struct{}
	closed bool
}

// NewHub returns an empty hub.
func NewHub() *Hub {
	return &Hub{byUser: map[int64]map[*Subscription]struct{}{}, all: map[*Subscription]struct{}{}}
}

// Subscription receives the events of one user (or of everyone, for admin
// views). C is closed when the subscription or the hub is closed; a
// subscription made by SubscribeNotify has no C, only TryNext.
type Subscription struct {
	C      <-chan Event
	c      chan Event
	q      *eventQueue // instead of c, for SubscribeNotify
	hub    *Hub
	userID int64
	all    bool // every user's events (SubscribeAll)
	missed atomic.Bool
	once   sync.Once
	// ready, if set (Notify), is called when an event arrives while
	// armed; it disarms. A session thus learns of its events without a
	// goroutine of its own waiting on C.
	ready  atomic.Pointer[func()]
	armed  atomic.Bool
	closed atomic.Bool
}

// Subscribe returns a subscription to userID's events; userID 0 gets
// the events that concern no one user (EventSettings).
func (h *Hub) Subscribe(userID int64) *Subscription {
	return h.subscribe(h.newSubscription(userID, false))
}

// SubscribeNotify returns a subscription to userID's events that calls
// ready as Notify does and is read with TryNext. Its events wait in a
// queue that holds memory only while events wait: a dashboard session
// keeps one for its whole life, and a channel's buffer was some
// kilobytes of each.
func (h *Hub) SubscribeNotify(userID int64, ready func()) *Subscription {
	s := h.subscribe(&Subscription{q: &eventQueue{}, hub: h, userID: userID})
	s.Notify(ready)
	return s
}

func (h *Hub) subscribe(s *Subscription) *Subscription {
	userID := s.userID
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		s.closeChan()
		return s
	}
	set := h.byUser[userID]
	if set == nil {
		set = map[*Subscription]struct{}{}
		h.byUser[userID] = set
	}
	set[s] = struct{}{}
	return s
}

// SubscribeAll returns a subscription to every user's events.
func (h *Hub) SubscribeAll() *Subscription {
	s := h.newSubscription(0, true)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		s.closeChan()
		return s
	}
	h.all[s] = struct{}{}
	return s
}

func (h *Hub) newSubscription(userID int64, all bool) *Subscription {
	c := make(chan Event, subscriptionBuffer)
	return &Subscription{C: c, c: c, hub: h, userID: userID, all: all}
}

// Publish delivers e to its user's subscribers and to the everyone
// subscribers without blocking.
func (h *Hub) Publish(e Event) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for s := range h.byUser[e.UserID] {
		s.offer(e)
	}
	for s := range h.all {
		s.offer(e)
	}
}

// Resync tells every subscription that events may have been lost: each
// is flagged as having missed events and sent an EventResync (of its own
// user), so that it reloads everything it shows.
func (h *Hub) Resync() {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for userID, set := range h.byUser {
		for s := range set {
			s.missed.Store(true)
			s.offer(Event{UserID: userID, Kind: EventResync})
		}
	}
	for s := range h.all {
		s.missed.Store(true)
		s.offer(Event{Kind: EventResync})
	}
}

// Subscribers counts the live subscriptions of userID.
func (h *Hub) Subscribers(userID int64) int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.byUser[userID])
}

// Close ends every subscription.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.closed = true
	for _, set := range h.byUser {
		for s := range set {
			s.closeChan()
		}
	}
	for s := range h.all {
		s.closeChan()
	}
	h.byUser, h.all = nil, nil
}

func (s *Subscription) offer(e Event) {
	if s.q != nil {
		if !s.q.push(e) {
			s.missed.Store(true)
		}
	} else {
		select {
		case s.c <- e:
		default:
			s.missed.Store(true)
		}
	}
	s.wake()
}

// eventQueue holds a SubscribeNotify subscription's waiting events, at
// most subscriptionBuffer of them.
type eventQueue struct {
	mu     sync.Mutex
	events []Event
}

func (q *eventQueue) push(e Event) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.events) >= subscriptionBuffer {
		return false
	}
	q.events = append(q.events, e)
	return true
}

func (q *eventQueue) pop() (Event, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.events) == 0 {
		return Event{}, false
	}
	e := q.events[0]
	if q.events = q.events[1:]; len(q.events) == 0 {
		q.events = nil // the memory goes back once drained
	}
	return e, true
}

func (q *eventQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.events)
}

// queued is how many events wait.
func (s *Subscription) queued() int {
	if s.q != nil {
		return s.q.len()
	}
	return len(s.c)
}

// Notify makes the subscription call ready, once, when an event is
// queued (or C is closed); Rearm asks for the next call. ready runs on
// the publisher's goroutine: it must return at once. It suits a reader
// that drains C without blocking each time it is told (TryNext).
func (s *Subscription) Notify(ready func()) {
	s.ready.Store(&ready)
	s.Rearm()
}

// Rearm asks for ready to be called on the next event; if events are
// already queued, it is called now.
func (s *Subscription) Rearm() {
	s.armed.Store(true)
	if s.queued() > 0 || s.closed.Load() {
		s.wake()
	}
}

func (s *Subscription) wake() {
	if f := s.ready.Load(); f != nil && s.armed.CompareAndSwap(true, false) {
		(*f)()
	}
}

// TryNext takes the next queued event without waiting; ok is false when
// none is queued. closed reports that C is closed (and drained).
func (s *Subscription) TryNext() (e Event, ok, closed bool) {
	if s.q != nil {
		if e, ok := s.q.pop(); ok {
			return e, true, false
		}
		return Event{}, false, s.closed.Load()
	}
	select {
	case e, ok := <-s.c:
		return e, ok, !ok
	default:
		return Event{}, false, false
	}
}

// Missed reports, and clears, whether events were dropped because the
// subscriber fell behind; it must then reload everything it shows.
func (s *Subscription) Missed() bool { return s.missed.Swap(false) }

// Close unsubscribes; C is closed.
func (s *Subscription) Close() {
	h := s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	if s.all {
		delete(h.all, s)
	} else if set := h.byUser[s.userID]; set != nil {
		delete(set, s)
		if len(set) == 0 {
			delete(h.byUser, s.userID)
		}
	}
	s.closeChan()
}

func (s *Subscription) closeChan() {
	s.once.Do(func() {
		if s.c != nil {
			close(s.c)
		}
		s.closed.Store(true)
		s.wake()
	})
}
