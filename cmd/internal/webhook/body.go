package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/store"
)

// The headers of every delivery, in both formats.
const (
	// HeaderEventID is the event's id, the same in every attempt and for
	// every webhook of the account: the receiver's key to drop a copy.
	HeaderEventID = "X-WantSMS-Event-Id"
	// HeaderEvent is the event's type, e.g. sms.received.
	HeaderEvent = "X-WantSMS-Event"
	// HeaderTimestamp is when this attempt was signed, in Unix seconds.
	HeaderTimestamp = "X-WantSMS-Timestamp"
	// HeaderSignature is "sha256=" and the hex HMAC-SHA256, keyed with the
	// account's secret, of the timestamp, a dot and the body.
	HeaderSignature = "X-WantSMS-Signature"
	// HeaderAttempt is this attempt's number, from 1.
	HeaderAttempt = "X-WantSMS-Attempt"
)

// Sign is the signature of body sent at timestamp (Unix seconds), as
// HeaderSignature carries it.
func Sign(secret string, timestamp int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(timestamp, 10)))
	mac.Write([]byte("."))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// envelope is our format: the event's id, type and time around its data.
type envelope struct {
	ID        string          `json:"id"`
	Event     string          `json:"type"`
	CreatedAt time.Time       `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

// saActivation is SMS-Activate's activation webhook: an SMS on an
// activation (a number of ours), its service and country in its codes.
type saActivation struct {
	ActivationID int64  `json:"activationId"`
	Service      string `json:"service"`
	Text         string `json:"text"`
	Code         string `json:"code"`
	Country      int64  `json:"country"`
	ReceivedAt   string `json:"receivedAt"`
}

// saRent is SMS-Activate's rent webhook: an SMS on a rental.
type saRent struct {
	RentID string `json:"rentId"` // a string, as SMS-Activate sends it
	SMS    struct {
		PhoneFrom string `json:"phoneFrom"`
		Text      string `json:"text"`
		Date      string `json:"date"`
	} `json:"sms"`
}

// saTime is how SMS-Activate writes a time; ours are in UTC.
const saTime = "2006-01-02 15:04:05"

// Service and country as SMS-Activate's activation webhook says them when
// its table has no code for ours: "ot" is its "other" service; -1 is no
// country (its ids start at 0, Russia).
const (
	saOtherService = "ot"
	saNoCountry    = -1
)

// Body is what a delivery posts: our envelope, or SMS-Activate's
// activation (or rent) webhook for an SMS. The same delivery always makes
// the same body.
func Body(d store.Delivery) ([]byte, error) {
	if d.Format != store.FormatSMSActivate {
		return json.Marshal(envelope{ID: d.EventID, Event: string(d.Event), CreatedAt: d.CreatedAt.UTC(),
			Data: d.Payload})
	}
	switch d.Event {
	case store.HookTest:
		// An activation numbered 0, which no number of ours is.
		var n store.HookNote
		if err := json.Unmarshal(d.Payload, &n); err != nil {
			return nil, fmt.Errorf("test event %s: %w", d.EventID, err)
		}
		return json.Marshal(saActivation{Service: saOtherService, Text: n.Message, Country: saNoCountry,
			ReceivedAt: d.CreatedAt.UTC().Format(saTime)})
	case store.HookSMSReceived:
	default:
		return nil, fmt.Errorf("event %s: the sms-activate format has no %s", d.EventID, d.Event)
	}
	var m store.HookSMS
	if err := json.Unmarshal(d.Payload, &m); err != nil {
		return nil, fmt.Errorf("sms event %s: %w", d.EventID, err)
	}
	at := m.ReceivedAt.UTC().Format(saTime)
	if m.RentalID != 0 {
		r := saRent{RentID: strconv.FormatInt(m.RentalID, 10)}
		r.SMS.PhoneFrom, r.SMS.Text, r.SMS.Date = m.Sender, m.Text, at
		return json.Marshal(r)
	}
	a := saActivation{ActivationID: m.ReservationID, Service: saOtherService, Text: m.Text, Code: m.Code,
		Country: saNoCountry, ReceivedAt: at}
	if code, ok := provider.ServiceCode(m.Service); ok {
		a.Service = code
	}
	if id, ok := provider.CountryID(m.Country); ok {
		a.Country, _ = strconv.ParseInt(id, 10, 64)
	}
	return json.Marshal(a)
}
