package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/wantsms/wantsms/cmd/internal/service"
	"github.com/wantsms/wantsms/store"
)

// The SMS phase's latency series and error kinds.
const (
	latencySMS     = "sms_to_screen" // webhook posted to the code on the session's screen
	latencyReserve = "reserve"       // the reserve command, sent to its answer
	latencyInbox   = "inbox"         // "2" pressed to the new number on the Inbox

	kindReserve    = "reserve refused"
	kindInbox      = "inbox timeout"     // the number never showed on the Inbox
	kindWebhook    = "webhook refused"   // the server did not take an SMS
	kindSMSTimeout = "sms not on screen" // taken, but its code never showed
	kindStored     = "sms not stored"    // the database holds fewer (or more) than were taken
)

// simWebhookSecretEnv is the server's variable for the sim's webhook
// secret; the tool reads the same one when --webhook-secret is not given.
const simWebhookSecretEnv = "WANTSMS_SIM_WEBHOOK_SECRET"

// smsConfig is the SMS phase: every held session reserves a number, opens
// its Inbox, and gets SMS pushed through the provider webhook, at Rate SMS
// a second: one each, or for Duration round-robin over the sessions; the
// tool times each from the push to its code on screen.
type smsConfig struct {
	Rate     float64       // SMS a second; 0 turns the phase off
	Duration time.Duration // sustained: push for this long; 0: one SMS per session
	HTTP     string        // the server's HTTP address (host:port)
	Secret   string        // the provider's webhook secret
	DataDir  string        // the server's data directory, to read the activation ids
	DB       string        // the server's --database-url, if it runs on PostgreSQL
	Service  string        // what the numbers are reserved for
	Measure  time.Duration // CPU measured with every number open, before any SMS
}

// interactive is a session the SMS phase can drive: the stream client.
type interactive interface {
	session
	Run(ctx context.Context, command string) (stdout, stderr []byte, exitStatus int, err error)
	Type(text string) error
	Watch(marker string) <-chan time.Time
}

// armed is a session with a number open on its Inbox, waiting for an SMS.
type armed struct {
	held
	s        interactive
	resID    int64
	provider string // where the webhook goes: /webhooks/provider/{provider}
	ref      string // the provider's activation id, for the webhook body
}

// smsPhase arms every held session, measures the server with every
// number open, then pushes the SMS and times them.
func (l *loadRun) smsPhase(ctx context.Context) {
	cfg := l.cfg.SMS
	sessions := l.arm(ctx, l.held())
	before, err := lookupRefs(ctx, cfg.DataDir, cfg.DB, sessions)
	if err != nil {
		l.rec.problem(kindOther, err)
		return
	}
	if !pause(ctx, l.cfg.Settle) {
		l.rep.Interrupted = true
		return
	}
	a0, err0 := takeSnapshot(l.tg.PIDs...)
	ok := pause(ctx, cfg.Measure)
	a1, err1 := takeSnapshot(l.tg.PIDs...)
	if err0 == nil && err1 == nil {
		l.rep.CPU.Numbers = phase(a0, a1)
	}
	if !ok {
		l.rep.Interrupted = true
		return
	}
	hook := newWebhookClient(cfg.HTTP, cfg.Secret)
	defer hook.close()
	// The burst's CPU is measured over the pushes themselves; the wait for
	// the last codes after them is not part of the rate.
	b0, err0 := takeSnapshot(l.tg.PIDs...)
	tally := l.send(ctx, hook, sessions, func() {
		if b1, err := takeSnapshot(l.tg.PIDs...); err == nil && err0 == nil {
			l.rep.CPU.SMS = phase(b0, b1)
		}
	})
	if a2, err := takeSnapshot(l.tg.PIDs...); err == nil {
		l.rep.Memory.SMSRSS = a2.Server.RSS
		l.rep.Tool.CPUSeconds = (a2.Self - l.first.Self).Seconds()
	}
	sum := tally.summary(len(sessions))
	sum.InDB = l.countStored(ctx, sessions, before)
	if !sum.storedAsTaken() {
		l.rec.problem(kindStored, fmt.Errorf("%d SMS sent, %d taken by the webhook, %d new in the database",
			sum.Sent, sum.Taken, sum.InDB))
	}
	l.rep.SMS = len(sessions)
	l.rep.SMSPhase = &sum
	l.rep.Held = l.rec.open()
}

// countStored is how many messages the armed numbers gained in the
// server's database since before (-1: it could not be read).
func (l *loadRun) countStored(ctx context.Context, sessions []*armed, before int) int {
	after, err := countMessages(ctx, l.cfg.SMS.DataDir, l.cfg.SMS.DB, sessions)
	if err != nil {
		l.rec.problem(kindOther, err)
		return -1
	}
	return after - before
}

// arm reserves a number for every session (the reserve command, on the
// session's own connection) and opens its Inbox, at the ramp's rate; it
// returns the sessions whose number is on screen.
func (l *loadRun) arm(ctx context.Context, sessions []held) []*armed {
	var mu sync.Mutex
	var out []*armed
	failed := 0
	counts := func() (int, int, int) {
		mu.Lock()
		defer mu.Unlock()
		return len(sessions), len(out), failed
	}
	var wg sync.WaitGroup
	bar := startProgress(l.cfg.Progress, l.tg.Name+" reserving", len(sessions), counts)
	start := time.Now()
	for i, h := range sessions {
		at := start.Add(time.Duration(float64(i) / l.cfg.Rate * float64(time.Second)))
		if !pause(ctx, time.Until(at)) {
			l.rep.Interrupted = true
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, err := l.armOne(ctx, h)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed++
				return
			}
			out = append(out, a)
		}()
	}
	wg.Wait()
	bar.Stop()
	return out
}

// armOne reserves one session's number and waits for it on its Inbox.
func (l *loadRun) armOne(ctx context.Context, h held) (*armed, error) {
	s, ok := h.s.(interactive)
	if !ok {
		err := errors.New("the SMS phase needs the stream client")
		l.rec.problem(kindOther, err)
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, l.cfg.Timeout)
	defer cancel()
	t0 := time.Now()
	out, why, status, err := s.Run(ctx, "reserve "+l.cfg.SMS.Service+" --json")
	if err == nil && status != 0 {
		err = fmt.Errorf("reserve: exit status %d: %s", status, strings.TrimSpace(string(out)+" "+string(why)))
	}
	var res struct {
		Event string `json:"event"`
		ID    int64  `json:"id"`
		Phone string `json:"phone"`
	}
	if err == nil {
		line, _, _ := strings.Cut(string(out), "\n")
		if err = json.Unmarshal([]byte(line), &res); err == nil && (res.ID == 0 || res.Phone == "") {
			err = fmt.Errorf("reserve: unexpected answer %q", line)
		}
	}
	if err != nil {
		l.rec.problem(kindReserve, err)
		return nil, err
	}
	l.rec.observe(latencyReserve, time.Since(t0))
	// The Inbox is not in view yet, so the number cannot be drawn before
	// the watch is set.
	shown := s.Watch(res.Phone)
	t1 := time.Now()
	if err := s.Type("2"); err != nil {
		l.rec.problem(kindInbox, err)
		return nil, err
	}
	select {
	case at := <-shown:
		l.rec.observe(latencyInbox, at.Sub(t1))
		return &armed{held: h, s: s, resID: res.ID}, nil
	case <-s.Done():
		err = errors.New("session ended before its number was on the Inbox")
	case <-ctx.Done():
		err = fmt.Errorf("number %s not on the Inbox after %v", res.Phone, l.cfg.Timeout)
	}
	l.rec.problem(kindInbox, err)
	return nil, err
}

// lookupRefs reads each reservation's provider and activation id from the
// server's database: the webhook names the activation, which the person
// (and so the session) never sees. It also counts the messages the
// numbers hold already, so that the SMS stored during the phase can be
// told apart.
func lookupRefs(ctx context.Context, dataDir, databaseURL string, sessions []*armed) (messages int, err error) {
	st, err := service.OpenStore(dataDir, databaseURL, readerOptions)
	if err != nil {
		return 0, fmt.Errorf("open %s to read the activation ids: %w", dataDir, err)
	}
	defer st.Close()
	for _, a := range sessions {
		r, err := st.Reservation(ctx, a.resID)
		if err != nil {
			return 0, fmt.Errorf("reservation %d: %w", a.resID, err)
		}
		a.provider, a.ref = r.Provider, r.ProviderRef
	}
	return st.CountMessages(ctx, reservationIDs(sessions))
}

// readerOptions open the server's database beside it: the server may hold
// its writer for long under load, and opening checks the migrations.
var readerOptions = store.Options{BusyTimeout: 2 * time.Minute}

// countMessages counts the messages on the armed numbers in the server's
// database.
func countMessages(ctx context.Context, dataDir, databaseURL string, sessions []*armed) (int, error) {
	st, err := service.OpenStore(dataDir, databaseURL, readerOptions)
	if err != nil {
		return 0, fmt.Errorf("open %s to count the messages: %w", dataDir, err)
	}
	defer st.Close()
	return st.CountMessages(ctx, reservationIDs(sessions))
}

func reservationIDs(sessions []*armed) []int64 {
	ids := make([]int64, len(sessions))
	for i, a := range sessions {
		ids[i] = a.resID
	}
	return ids
}

// send pushes the phase's SMS (smsCount) at the configured rate, SMS i to
// session i mod n, calls pushed once the last is pushed, and waits until
// each code is on screen or timed out.
func (l *loadRun) send(ctx context.Context, hook *webhookClient, sessions []*armed, pushed func()) *smsTally {
	total := smsCount(l.cfg.SMS.Rate, l.cfg.SMS.Duration, len(sessions))
	tally := &smsTally{}
	var wg sync.WaitGroup
	counts := func() (int, int, int) {
		shown, failed := tally.progress()
		return total, shown, failed
	}
	bar := startProgress(l.cfg.Progress, l.tg.Name+" SMS", total, counts)
	start := time.Now()
	for i := range total {
		if !pause(ctx, time.Until(sendAt(start, i, l.cfg.SMS.Rate))) {
			l.rep.Interrupted = true
			break
		}
		a := sessions[i%len(sessions)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.sendOne(ctx, hook, a, tally)
		}()
	}
	pushed()
	wg.Wait()
	bar.Stop()
	return tally
}

// sendOne pushes one SMS and waits for its code on the session's screen.
func (l *loadRun) sendOne(ctx context.Context, hook *webhookClient, a *armed, tally *smsTally) {
	code := newCode()
	seen := a.s.Watch(code)
	t0 := time.Now()
	tally.pushing(t0)
	if err := hook.push(ctx, a.provider, a.ref, l.cfg.SMS.Service, code, t0); err != nil {
		tally.add(smsRefused)
		l.rec.problem(kindWebhook, err)
		return
	}
	timer := time.NewTimer(l.cfg.Timeout)
	defer timer.Stop()
	var err error
	select {
	case at := <-seen:
		tally.add(smsShown)
		l.rec.observe(latencySMS, at.Sub(t0))
		return
	case <-a.s.Done():
		err = errors.New("session ended before its code was on screen")
	case <-timer.C:
		err = fmt.Errorf("code %s not on screen after %v", code, l.cfg.Timeout)
	case <-ctx.Done():
		err = ctx.Err()
	}
	tally.add(smsLost)
	l.rec.problem(kindSMSTimeout, err)
}

// newCode is a code no dashboard shows otherwise: eight digits split by a
// dash, which the dashboard shows as it is (phone numbers, prices, times
// and dates never hold four digits on both sides of a dash).
func newCode() string {
	n := rand.IntN(100_000_000)
	return fmt.Sprintf("%04d-%04d", n/10_000, n%10_000)
}

// webhookSecret is the secret given, else the server's environment
// variable for it.
func webhookSecret(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	return os.Getenv(simWebhookSecretEnv)
}

// discardClose drains and closes a response body so its connection is
// reused.
func discardClose(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 4<<10))
	_ = body.Close()
}

// Defaults of the SMS phase: the rate, a service every provider
// sells, and a minute's look at the server with every number open.
const (
	defaultSMSRate    = 100
	defaultSMSService = "telegram"
	defaultSMSMeasure = 30 * time.Second
)

func smsFlags(fs *flag.FlagSet, c *smsConfig) {
	fs.Float64Var(&c.Rate, "sms-rate", 0,
		fmt.Sprintf("after the hold, give every session a number and push SMS at this rate (the aim: %d/s; 0: off)", defaultSMSRate))
	fs.StringVar(&c.HTTP, "http", "127.0.0.1:8080", "the server's HTTP address (its provider webhook)")
	fs.StringVar(&c.Secret, "webhook-secret", "", "the server's --sim-webhook-secret (default: $"+simWebhookSecretEnv+")")
	fs.StringVar(&c.DataDir, "data", "", "the server's data directory (the SMS phase reads activation ids there)")
	fs.StringVar(&c.DB, "database-url", os.Getenv("WANTSMS_DATABASE_URL"),
		"the server's PostgreSQL database, if it runs on one (default: $WANTSMS_DATABASE_URL)")
	fs.StringVar(&c.Service, "sms-service", defaultSMSService, "service the numbers are reserved for")
	fs.DurationVar(&c.Measure, "sms-measure", defaultSMSMeasure, "CPU measured with every number open, before the SMS")
	fs.DurationVar(&c.Duration, "sms-duration", 0,
		"push SMS at --sms-rate for this long, round-robin over the sessions (0: one SMS per session)")
}

// checkSMS refuses an SMS phase that cannot run.
func checkSMS(l *loadConfig) error {
	c := l.SMS
	switch {
	case c.Rate < 0:
		return usagef("--sms-rate must not be negative")
	case c.Rate == 0 && c.Duration != 0:
		return usagef("--sms-duration needs --sms-rate")
	case c.Rate == 0:
		return nil
	case l.Client != clientStream:
		return usagef("--sms-rate needs --client %s", clientStream)
	case c.DataDir == "":
		return usagef("--sms-rate needs --data, the server's data directory")
	case c.Secret == "":
		return usagef("--sms-rate needs --webhook-secret (or $%s), as the server's --sim-webhook-secret", simWebhookSecretEnv)
	case c.Service == "" || strings.ContainsAny(c.Service, " '\"\\"):
		return usagef("--sms-service must be one service code")
	case c.Measure < 0:
		return usagef("--sms-measure must not be negative")
	case c.Duration < 0:
		return usagef("--sms-duration must not be negative")
	case c.Duration > 0 && c.Rate*c.Duration.Seconds() < 1:
		return usagef("--sms-duration %v at --sms-rate %g pushes no SMS", c.Duration, c.Rate)
	}
	return nil
}
