package store

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Live events across instances on PostgreSQL. Every write transaction
// that has events (from a server or a command-line tool) sends them with
// pg_notify on one channel before it commits: PostgreSQL delivers a
// notification only if and when its transaction commits, in commit order,
// to every connection listening on the database. Each serving instance
// keeps one connection listening (listen) and publishes what it hears to
// its own hub, except its own events, which it published at commit.
//
// A payload is "<instance> <user>:<kind>:<ref> …": an Event is three
// short fields, at most 60 bytes written out, so a notification never
// needs to carry an id to read instead; a transaction with many events
// sends them in several notifications of at most notifyMax bytes each
// (PostgreSQL's limit is 8,000).
//
// While the listening connection is down, events of other instances are
// lost; once it listens again the hub is told to resync (Hub.Resync):
// every session reloads what it shows, the engine its settings.
//
// SQLite has no such channel: there the command-line tools write their
// events to the event_relay table, which the server polls (relay.go).

// notifyChannel is the channel every instance of a database listens on.
const notifyChannel = "wantsms_events"

// notifyMax bounds one notification's payload, below PostgreSQL's 8,000
// bytes.
const notifyMax = 7000

// Listener timing: how long the listening connection may stay silent
// before it is pinged (a connection cut without a word would otherwise
// go unnoticed for the kernel's keepalive, minutes), how long the ping
// may take, and the waits between attempts to listen again.
const (
	listenIdle       = 15 * time.Second // the default of Store.listenIdle
	listenPing       = 5 * time.Second
	listenBackoffMin = 50 * time.Millisecond
	listenBackoffMax = 5 * time.Second
)

// newInstanceID names this store among those sharing a database.
func newInstanceID() string {
	var b [8]byte
	_, _ = crand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

// notifyPayloads writes events into payloads of at most notifyMax bytes,
// each starting with the sending instance.
func notifyPayloads(instance string, events []Event) []string {
	var out []string
	var b strings.Builder
	for _, e := range events {
		item := strconv.FormatInt(e.UserID, 10) + ":" + string(e.Kind) + ":" + strconv.FormatInt(e.Ref, 10)
		if b.Len() > 0 && b.Len()+1+len(item) > notifyMax {
			out = append(out, b.String())
			b.Reset()
		}
		if b.Len() == 0 {
			b.WriteString(instance)
		}
		b.WriteByte(' ')
		b.WriteString(item)
	}
	if b.Len() > 0 {
		out = append(out, b.String())
	}
	return out
}

// parseNotification reads a payload back: the sending instance and its
// events.
func parseNotification(payload string) (string, []Event, error) {
	fields := strings.Fields(payload)
	if len(fields) < 2 {
		return "", nil, fmt.Errorf("notification %q: no events", payload)
	}
	events := make([]Event, 0, len(fields)-1)
	for _, f := range fields[1:] {
		user, rest, ok1 := strings.Cut(f, ":")
		kind, ref, ok2 := strings.Cut(rest, ":")
		u, err1 := strconv.ParseInt(user, 10, 64)
		r, err2 := strconv.ParseInt(ref, 10, 64)
		if !ok1 || !ok2 || kind == "" || err1 != nil || err2 != nil {
			return "", nil, fmt.Errorf("notification %q: bad event %q", payload, f)
		}
		events = append(events, Event{UserID: u, Kind: EventKind(kind), Ref: r})
	}
	return fields[0], events, nil
}

// notifyCommitted sends the events of a batch's writes that succeeded,
// inside the batch's transaction: delivered if it commits, never if not.
func (s *Store) notifyCommitted(tx *Tx, txs []*Tx, errs []error) error {
	var events []Event
	for i, t := range txs {
		if errs[i] == nil && t != nil {
			events = append(events, t.events...)
		}
	}
	for _, p := range notifyPayloads(s.instance, events) {
		if _, err := tx.ExecContext(context.Background(), `SELECT pg_notify('`+notifyChannel+`', ?)`, p); err != nil {
			return fmt.Errorf("notify events: %w", err)
		}
	}
	return nil
}

// Listening reports whether this instance hears other instances' events
// now (PostgreSQL; false on SQLite, where there are none to hear).
func (s *Store) Listening() bool { return s.listenerPID.Load() != 0 }

// listen keeps a connection listening until ctx ends, starting with
// conn, and publishes the events of other instances to this store's hub.
// A connection that fails, or goes quiet and does not answer a ping, is
// replaced, with growing waits between attempts, and the hub told to
// resync once the new one listens.
func (s *Store) listen(ctx context.Context, conn *pgx.Conn) {
	wait := listenBackoffMin
	for {
		if conn != nil {
			s.listenerPID.Store(conn.PgConn().PID())
			err := s.receive(ctx, conn)
			s.listenerPID.Store(0)
			closeListener(conn)
			if ctx.Err() != nil {
				return
			}
			s.log.Warn("live events from other instances: connection lost; listening again", "err", err)
			wait = listenBackoffMin
		}
		var err error
		if conn, err = s.openListener(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			s.log.Warn("live events from other instances: cannot listen", "err", err, "retry_in", wait)
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait + rand.N(wait/2)):
			}
			wait = min(2*wait, listenBackoffMax)
			continue
		}
		// Whatever was sent while nobody listened is lost: everyone
		// reloads.
		s.apiKeys.forgetAll()
		s.hub.Resync()
		s.log.Info("live events from other instances: listening again")
	}
}

// openListener connects and listens on the channel.
func (s *Store) openListener(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, s.listenCfg)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	if _, err := conn.Exec(ctx, `LISTEN `+notifyChannel); err != nil {
		closeListener(conn)
		return nil, fmt.Errorf("listen: %w", err)
	}
	return conn, nil
}

// closeListener says goodbye to the server if it still answers.
func closeListener(conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), listenPing)
	defer cancel()
	_ = conn.Close(ctx)
}

// receive publishes what conn hears until it fails or ctx ends; a
// connection silent for listenIdle must answer a ping.
func (s *Store) receive(ctx context.Context, conn *pgx.Conn) error {
	for {
		wctx, cancel := context.WithTimeout(ctx, s.listenIdle)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			s.received(n.Payload)
			continue
		case ctx.Err() != nil:
			return ctx.Err()
		case !pgconn.Timeout(err) && !errors.Is(err, context.DeadlineExceeded):
			return err
		}
		pctx, cancel := context.WithTimeout(ctx, listenPing)
		err = conn.Ping(pctx)
		cancel()
		if err != nil {
			return fmt.Errorf("ping: %w", err)
		}
		s.listenerPings.Add(1)
	}
}

// received publishes the events of another instance's notification.
func (s *Store) received(payload string) {
	from, events, err := parseNotification(payload)
	if err != nil {
		// From a newer or foreign sender: what it said is unknown, so
		// everyone reloads.
		s.log.Error("live events from other instances", "err", err)
		s.hub.Resync()
		return
	}
	if from == s.instance {
		return // published at commit
	}
	for _, e := range events {
		s.publish(e)
	}
}
