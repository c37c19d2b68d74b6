package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/store/netaddr"
)

// Bounds of one post: a receiver gets a few seconds to connect and to
// answer, and only the start of what it answers is read.
const (
	dialTimeout = 5 * time.Second
	// maxAnswer is how much of an answer's body is read; the store keeps
	// less of it.
	maxAnswer = 4 << 10
	// maxAnswerHeaders bounds an answer's headers.
	maxAnswerHeaders = 16 << 10
	userAgent        = "WantSMS-Webhooks/1"
)

// newClient is the client deliveries go through: connections only to
// addresses guard allows (checked on the address dialled, after name
// resolution), no proxy from the environment (it would dial for us), no
// redirect followed (the 3xx is the answer), everything done within
// timeout.
func newClient(guard netaddr.Guard, timeout time.Duration) *http.Client {
	dialer := &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second, Control: guard.Control}
	tr := &http.Transport{
		Proxy:                  nil,
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true,
		TLSHandshakeTimeout:    dialTimeout,
		ResponseHeaderTimeout:  timeout,
		MaxResponseHeaderBytes: maxAnswerHeaders,
		MaxIdleConns:           32,
		MaxIdleConnsPerHost:    4,
		IdleConnTimeout:        90 * time.Second,
	}
	return &http.Client{Transport: tr, Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// post sends one attempt of a delivery, signed at now, and says what came
// back: the status and the start of the body, or why nothing came.
func (w *Worker) post(ctx context.Context, d store.Delivery, body []byte, now time.Time) store.Attempt {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(body))
	if err != nil {
		return store.Attempt{Answer: "not a URL we can post to: " + err.Error()}
	}
	ts := now.Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set(HeaderEventID, d.EventID)
	req.Header.Set(HeaderEvent, string(d.Event))
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(d.Secret, ts, body))
	req.Header.Set(HeaderAttempt, strconv.Itoa(d.Attempt))
	res, err := w.client.Do(req)
	if err != nil {
		return store.Attempt{Answer: w.why(err)}
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, maxAnswer))
	a := store.Attempt{HTTPStatus: res.StatusCode, Answer: answerText(b),
		Delivered: res.StatusCode >= 200 && res.StatusCode < 300}
	if res.StatusCode >= 300 && res.StatusCode < 400 {
		a.Answer = "a redirect, not followed: point the webhook at the final address"
		if loc := res.Header.Get("Location"); loc != "" {
			a.Answer = fmt.Sprintf("a redirect to %s, not followed: point the webhook there", answerText([]byte(loc)))
		}
	}
	return a
}

// why says why no answer came, without the URL (the person knows it).
func (w *Worker) why(err error) string {
	var np *netaddr.NotPublicError
	var ue *url.Error
	switch {
	case errors.As(err, &np):
		return "not sent: " + np.Error()
	case errors.As(err, &ue) && ue.Timeout():
		return fmt.Sprintf("no answer within %s", w.cfg.Timeout)
	case errors.As(err, &ue):
		return ue.Err.Error()
	}
	return err.Error()
}

// answerText is an answer's body as the log keeps it: valid UTF-8, on one
// line (screens sanitize it again, as any text from outside).
func answerText(b []byte) string {
	s := strings.ToValidUTF8(string(b), "?")
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > maxAnswer {
		s = s[:maxAnswer]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	return s
}
