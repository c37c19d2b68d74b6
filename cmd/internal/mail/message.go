package mail

import (
	"fmt"
	netmail "net/mail"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/wantsms/wantsms/store"
)

// message builds the MIME message of an outbox row: From, To, Subject,
// Date, a Message-ID made from the row (a copy sent again after a crash
// has the same one), a text part and an HTML alternative, and for a
// notice the List-Unsubscribe headers (RFC 8058: one click, by POST).
func message(m store.Mail, c Content, from *netmail.Address, now time.Time) (*gomail.Msg, error) {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := msg.FromFormat(from.Name, from.Address); err != nil {
		return nil, fmt.Errorf("from %q: %w", from.String(), err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("to %q: %w", m.To, err)
	}
	msg.Subject(c.Subject)
	msg.SetDateWithValue(now)
	msg.SetMessageIDWithValue(MessageID(m, from.Address))
	// An automatic mail: no out-of-office answers to it (RFC 3834).
	msg.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	msg.SetGenHeader(gomail.HeaderXAutoResponseSuppress, "All")
	if c.Unsubscribe != "" {
		msg.SetGenHeader(gomail.HeaderListUnsubscribe, "<"+c.Unsubscribe+">")
		msg.SetGenHeader(gomail.HeaderListUnsubscribePost, "List-Unsubscribe=One-Click")
	}
	msg.SetBodyString(gomail.TypeTextPlain, c.Text())
	msg.AddAlternativeString(gomail.TypeTextHTML, c.HTML())
	return msg, nil
}

// MessageID is the Message-ID of an outbox row (without angle brackets):
// the same for every attempt, unique across rows (ids are never re-used),
// on the sender's domain.
func MessageID(m store.Mail, from string) string {
	domain := from[strings.LastIndex(from, "@")+1:]
	return fmt.Sprintf("wantsms.%d.%d@%s", m.ID, m.CreatedAt.Unix(), domain)
}
