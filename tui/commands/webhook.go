package commands

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/wording"
)

// webhookRecent is how many deliveries of each webhook `webhook list`
// shows: enough to see whether the receiver answers.
const webhookRecent = 5

// WebhookURL is a webhook's URL, checked by the store's rule (where it
// points is checked when it is added).
var WebhookURL = Type[string]{Name: "URL",
	Help:  fmt.Sprintf("an http:// or https:// URL of at most %d characters, without user name or password", store.MaxWebhookURLLen),
	Parse: store.CleanWebhookURL}

// WebhookFormat is the body a webhook receives.
var WebhookFormat = Type[store.WebhookFormat]{Name: "wantsms|sms-activate",
	Help:  "wantsms (every event, signed JSON) or sms-activate (SMS only, as SMS-Activate's activation webhook)",
	Parse: store.ParseWebhookFormat}

// webhookRef names a webhook by its id or its URL.
type webhookRef struct {
	id  int64
	url string
}

// WebhookRef is a webhook's id (from `webhook list`) or its URL.
var WebhookRef = Type[webhookRef]{Name: "ID|URL", Help: "a webhook's id (webhook list shows it) or its URL",
	Parse: func(s string) (webhookRef, error) {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil && id > 0 {
			return webhookRef{id: id}, nil
		}
		u, err := store.CleanWebhookURL(s)
		if err != nil {
			return webhookRef{}, errors.New("want a webhook's id or its URL")
		}
		return webhookRef{url: u}, nil
	}}

type webhooksResult struct {
	Webhooks []webhookJSON `json:"webhooks"` // oldest first
}

type webhookJSON struct {
	ID        int64     `json:"id"`
	URL       Untrusted `json:"url"`
	Format    string    `json:"format"` // wantsms or sms-activate
	CreatedAt Timestamp `json:"created_at"`
	// Deliveries are the latest (list) or all kept (export), newest first.
	Deliveries []deliveryJSON `json:"deliveries"`
}

type deliveryJSON struct {
	EventID    string    `json:"event_id"` // the same in every attempt: X-WantSMS-Event-Id
	Event      string    `json:"event"`    // sms.received, reservation.ended, rental.ended, topup.credited, test
	Status     string    `json:"status"`   // queued, sending, delivered, failed (given up after 24 hours)
	Attempts   int       `json:"attempts"`
	HTTPStatus int       `json:"http_status"` // of the last answer; 0 when none came
	Answer     Untrusted `json:"answer"`      // the start of the last answer's body, or why none came
	CreatedAt  Timestamp `json:"created_at"`  // the event's time
	// NextAttemptAt is the next attempt's time while queued; null else.
	NextAttemptAt Timestamp `json:"next_attempt_at"`
	DoneAt        Timestamp `json:"done_at"` // delivered or given up; null before
	outcome       string    // its state in words (wording.Delivery)
}

func newWebhookJSON(w store.Webhook) webhookJSON {
	j := webhookJSON{ID: w.ID, URL: Untrusted(w.URL), Format: string(w.Format), CreatedAt: Timestamp(w.CreatedAt),
		Deliveries: make([]deliveryJSON, 0, len(w.Recent))}
	for _, d := range w.Recent {
		j.Deliveries = append(j.Deliveries, deliveryJSON{EventID: d.EventID, Event: string(d.Event),
			Status: string(d.Status), Attempts: d.Attempts, HTTPStatus: d.HTTPStatus, Answer: Untrusted(d.Answer),
			CreatedAt: Timestamp(d.CreatedAt), NextAttemptAt: Timestamp(d.NextAttemptAt), DoneAt: Timestamp(d.DoneAt),
			outcome: wording.Delivery(d)})
	}
	return j
}

func (r webhooksResult) WriteText(w io.Writer) error {
	if len(r.Webhooks) == 0 {
		_, err := fmt.Fprintln(w, "no webhook: add one with webhook add URL")
		return err
	}
	for i, h := range r.Webhooks {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%d  %s  (%s, added %s)\n", h.ID, h.URL.String(), h.Format, h.CreatedAt.String())
		if len(h.Deliveries) == 0 {
			fmt.Fprintln(w, "   nothing sent yet")
			continue
		}
		rows := make([][]string, 0, len(h.Deliveries))
		for _, d := range h.Deliveries {
			row := []string{"  ", d.CreatedAt.String(), d.Event, d.outcome}
			if a := d.Answer.String(); a != "" {
				row = append(row, a)
			}
			rows = append(rows, row)
		}
		if err := table(w, nil, rows); err != nil {
			return err
		}
	}
	return nil
}

// webhookAdded is what `webhook add` did.
type webhookAdded struct {
	webhookJSON
	// Secret is the account's signing secret when this webhook made it
	// (the account's first): shown this once. "" when the account had
	// one already.
	Secret string `json:"secret"`
}

func (r webhookAdded) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "webhook %d added: %s (%s)\n", r.ID, r.URL.String(), r.Format)
	if r.Format == string(store.FormatSMSActivate) {
		fmt.Fprintln(w, "it receives each SMS as SMS-Activate's activation webhook (a rental's as its rent webhook)")
	}
	if r.Secret == "" {
		_, err := fmt.Fprintln(w, "signed with your account's webhook secret, shown with your first webhook "+
			"(webhook rotate-secret makes a new one)")
		return err
	}
	_, err := fmt.Fprintf(w, "signing secret, shown this once: keep it where your receiver can read it\n%s\n", r.Secret)
	return err
}

type webhookRemoved struct {
	ID  int64     `json:"id"`
	URL Untrusted `json:"url"`
}

func (r webhookRemoved) WriteText(w io.Writer) error {
	_, err := fmt.Fprintf(w, "webhook %d removed: %s\n", r.ID, r.URL.String())
	return err
}

type webhookTested struct {
	Queued []testQueued `json:"queued"`
}

type testQueued struct {
	WebhookID int64  `json:"webhook_id"`
	EventID   string `json:"event_id"`
}

func (r webhookTested) WriteText(w io.Writer) error {
	for _, q := range r.Queued {
		fmt.Fprintf(w, "test event %s queued for webhook %d\n", q.EventID, q.WebhookID)
	}
	_, err := fmt.Fprintln(w, "webhook list shows what your receiver answers")
	return err
}

type secretRotated struct {
	Secret string `json:"secret"`
}

func (r secretRotated) WriteText(w io.Writer) error {
	_, err := fmt.Fprintf(w, "new signing secret, shown this once; the old one signs nothing from now on:\n%s\n",
		r.Secret)
	return err
}

func webhookCommand() *Command {
	return &Command{
		Name:    "webhook",
		Summary: "post your account's events (each SMS, numbers ended, top-ups) to your own systems",
		Subs: []*Command{webhookAddCommand(), webhookListCommand(), webhookRemoveCommand(), webhookTestCommand(),
			webhookRotateCommand()},
	}
}

// exampleHook is the webhook the examples show.
var exampleHook = webhookJSON{ID: 1, URL: "https://hooks.example.com/wantsms", Format: "wantsms",
	CreatedAt: exampleTime, Deliveries: []deliveryJSON{}}

func webhookAddCommand() *Command {
	url := Arg("URL", WebhookURL, "where to post the events")
	format := Flag("format", WebhookFormat, "the body it receives").Default("wantsms")
	return &Command{
		Name:    "add",
		Summary: "post your account's events to a URL of yours",
		Help: fmt.Sprintf("At most %d webhooks. The URL must be reachable on the Internet: one whose host is or "+
			"resolves to a loopback, private or link-local address is refused. Your first webhook makes your "+
			"account's signing secret, printed this once. Every event is retried for 24 hours until your receiver "+
			"answers 2xx; redirects are not followed. Adding a webhook is recorded in your sign-in activity and "+
			"mailed to you.", store.MaxWebhooks),
		Params:  []Param{url, format},
		Example: webhookAdded{webhookJSON: exampleHook, Secret: "whsec_8yqH3v0mB5xN2cK7fT1rW9pL4sD6gJ0aZ3eQ5uY8iO2"},
		Run: func(c *Call) error {
			added, err := c.Deps.Store.AddWebhook(c.Ctx, c.User.ID, store.NewWebhook{URL: url.Get(c),
				Format: format.Get(c)}, c.Origin)
			if err != nil {
				return err
			}
			return c.Print(webhookAdded{webhookJSON: newWebhookJSON(added.Webhook), Secret: added.Secret})
		},
	}
}

func webhookListCommand() *Command {
	return &Command{
		Name:    "list",
		Summary: fmt.Sprintf("your webhooks, each with its last %d deliveries and what your receiver answered", webhookRecent),
		Example: webhooksResult{Webhooks: []webhookJSON{{ID: 1, URL: "https://hooks.example.com/wantsms",
			Format: "wantsms", CreatedAt: exampleTime, Deliveries: []deliveryJSON{{EventID: "evt_5f0c8a1e2b3d4c6e7f809a1b",
				Event: "sms.received", Status: "delivered", Attempts: 1, HTTPStatus: 200, Answer: "ok",
				CreatedAt: Timestamp(time.Time(exampleTime).Add(time.Minute)),
				DoneAt:    Timestamp(time.Time(exampleTime).Add(time.Minute))}}}}},
		Run: func(c *Call) error {
			hooks, err := c.Deps.Store.Webhooks(c.Ctx, c.User.ID, webhookRecent)
			if err != nil {
				return err
			}
			r := webhooksResult{Webhooks: make([]webhookJSON, 0, len(hooks))}
			for _, h := range hooks {
				r.Webhooks = append(r.Webhooks, newWebhookJSON(h))
			}
			return c.Print(r)
		},
	}
}

func webhookRemoveCommand() *Command {
	ref := Arg("ID|URL", WebhookRef, "the webhook")
	return &Command{
		Name:    "remove",
		Summary: "stop posting to a webhook; what was still queued for it is dropped",
		Help:    "Removing your last webhook deletes your signing secret too: a new first webhook gets a new one.",
		Params:  []Param{ref},
		Example: webhookRemoved{ID: 1, URL: "https://hooks.example.com/wantsms"},
		Run: func(c *Call) error {
			id, err := webhookID(c, ref.Get(c))
			if err != nil {
				return err
			}
			w, err := c.Deps.Store.RemoveWebhook(c.Ctx, c.User.ID, id, c.Origin)
			if err != nil {
				return err
			}
			return c.Print(webhookRemoved{ID: w.ID, URL: Untrusted(w.URL)})
		},
	}
}

// webhookID finds the account's webhook a reference names.
func webhookID(c *Call, ref webhookRef) (int64, error) {
	if ref.id != 0 {
		return ref.id, nil
	}
	hooks, err := c.Deps.Store.Webhooks(c.Ctx, c.User.ID, 0)
	if err != nil {
		return 0, err
	}
	for _, h := range hooks {
		if h.URL == ref.url {
			return h.ID, nil
		}
	}
	return 0, store.ErrNoWebhook
}

func webhookTestCommand() *Command {
	ref := OptionalArg("ID|URL", WebhookRef, "the webhook to test (default: each of yours)")
	return &Command{
		Name:    "test",
		Summary: "queue a test event for one webhook, or for each",
		Help: "The test event is posted like any other (type test, signed); an sms-activate webhook receives it " +
			"as an activation numbered 0. webhook list shows your receiver's answer.",
		Params:  []Param{ref},
		Example: webhookTested{Queued: []testQueued{{WebhookID: 1, EventID: "evt_9d2e4f6a8b0c1d3e5f7a9b0c"}}},
		Run: func(c *Call) error {
			var id int64
			if ref.Given(c) {
				var err error
				if id, err = webhookID(c, ref.Get(c)); err != nil {
					return err
				}
			}
			queued, err := c.Deps.Store.TestWebhook(c.Ctx, c.User.ID, id)
			if err != nil {
				return err
			}
			r := webhookTested{Queued: make([]testQueued, 0, len(queued))}
			for _, d := range queued {
				r.Queued = append(r.Queued, testQueued{WebhookID: d.WebhookID, EventID: d.EventID})
			}
			return c.Print(r)
		},
	}
}

func webhookRotateCommand() *Command {
	return &Command{
		Name:    "rotate-secret",
		Summary: "replace your webhooks' signing secret; the new one is printed once",
		Help: "Every post from now on, retries of older events included, is signed with the new secret. It is " +
			"recorded in your sign-in activity.",
		Example: secretRotated{Secret: "whsec_Qm4tZ7cV1bN8xL2kJ5hG9fD3sA6pO0iU4yT7rE1wE5q"},
		Run: func(c *Call) error {
			secret, err := c.Deps.Store.RotateWebhookSecret(c.Ctx, c.User.ID, nil, c.Origin)
			if err != nil {
				return err
			}
			return c.Print(secretRotated{Secret: secret})
		},
	}
}
