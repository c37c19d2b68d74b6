package v1api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"

	"github.com/wantsms/wantsms/store"
)

// Idempotency keys: a purchase (a reservation, a rental, an extension, a
// top-up) sent with an Idempotency-Key header is made at most once per
// key and account in store.IdempotencyRetention. The same request sent
// again, say after a timeout, gets the first answer back, byte for byte,
// marked Idempotent-Replayed: true; the key with another request is
// refused. The store keeps the keys and links each to what it bought in
// the purchase's own transaction (store.ClaimIdem, store.WithIdemClaim).

const (
	idemHeader     = "Idempotency-Key"
	replayedHeader = "Idempotent-Replayed"
	// maxIdemKey bounds a key: room for a UUID with a prefix, and the
	// bound of the payment APIs clients know.
	maxIdemKey = 255
)

// replayHeaders are the headers of a first answer that a replay repeats.
var replayHeaders = []string{"Location", "ETag"}

// atMostOnce runs a purchase: as it is without a key, at most once with one.
func (a *API) atMostOnce(rt route, c *call) error {
	key, err := idemKey(c.r.Header)
	if err != nil || key == "" {
		if err != nil {
			return err
		}
		return rt.run(a, c)
	}
	body, err := readBody(c)
	if err != nil {
		return err
	}
	c.r.Body = io.NopCloser(bytes.NewReader(body))
	req := store.IdemRequest{UserID: c.user.ID, Key: key, Request: rt.pattern(), BodyHash: bodyHash(body)}
	k, err := a.d.Store.ClaimIdem(c.ctx, req)
	switch {
	case err != nil:
		return err
	case k.State == store.IdemNew:
		return a.firstTime(rt, c, k.ID)
	}
	return a.replay(rt, c, req, k)
}

// idemKey is the request's key ("" for none), refused unless it is one
// header of 1 to maxIdemKey printable ASCII characters.
func idemKey(h http.Header) (string, error) {
	vs := h.Values(idemHeader)
	if len(vs) == 0 {
		return "", nil
	}
	bad := len(vs) > 1 || len(vs[0]) < 1 || len(vs[0]) > maxIdemKey
	for i := 0; !bad && i < len(vs[0]); i++ {
		bad = vs[0][i] < ' ' || vs[0][i] > '~'
	}
	if bad {
		return "", refuse(CodeIdemKeyInvalid, "send one Idempotency-Key header of 1 to 255 printable ASCII "+
			"characters, a new one for each new purchase (a random UUID is a good key)")
	}
	return vs[0], nil
}

// bodyHash is the SHA-256 of a request's body, its JSON written anew
// (keys sorted, no spaces) so that a retry serialised differently is the
// same request.
func bodyHash(body []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) == nil && !dec.More() {
		if canon, err := json.Marshal(v); err == nil {
			body = canon
		}
	}
	sum := sha256.Sum256(body)
	return sum[:]
}

// firstTime makes the purchase under the key just claimed and keeps its
// answer. The purchase routes answer an error only when nothing was
// bought: the key is freed, and the same request may come again with it.
func (a *API) firstTime(rt route, c *call, id int64) error {
	rec := &recorder{ResponseWriter: c.w}
	c.w, c.ctx = rec, store.WithIdemClaim(c.ctx, id)
	err := rt.run(a, c)
	bg := context.WithoutCancel(c.ctx) // a client gone meanwhile still bought
	if err != nil {
		if rerr := a.d.Store.ReleaseIdem(bg, c.user.ID, id); rerr != nil {
			a.d.Log.ErrorContext(c.ctx, "release idempotency key", "key", id, "err", rerr)
		}
		return err
	}
	a.keep(bg, c, id, rec)
	return nil
}

// keep stores an answer for the replays. Should that fail, the key stays
// pending, and after the lease a retry is answered from what was bought.
func (a *API) keep(ctx context.Context, c *call, id int64, rec *recorder) {
	if err := a.d.Store.AnswerIdem(ctx, c.user.ID, id, rec.answer()); err != nil {
		a.d.Log.ErrorContext(ctx, "keep idempotent answer", "key", id, "err", err)
	}
}

// replay answers a key another request claimed: its answer, or why not.
func (a *API) replay(rt route, c *call, req store.IdemRequest, k store.IdemKey) error {
	switch {
	case k.Request != req.Request || !bytes.Equal(k.BodyHash, req.BodyHash):
		return refuse(CodeIdemKeyReused, "this Idempotency-Key came with another request in the last 24 hours: "+
			"a new purchase needs a new key")
	case k.State == store.IdemPending:
		return refuse(CodeIdemInProgress, "the request first sent with this Idempotency-Key is still being "+
			"answered: send it again in a few seconds for its answer")
	case k.State == store.IdemStalled:
		return a.resume(rt, c, k)
	}
	h := c.w.Header()
	for name, v := range k.Answer.Headers {
		h.Set(name, v)
	}
	h.Set(replayedHeader, "true")
	h.Set("Content-Type", "application/json")
	c.w.WriteHeader(k.Answer.Status)
	_, _ = c.w.Write(k.Answer.Body)
	return nil
}

// resume answers a key whose request bought and never answered (its
// server stopped in between) from what it bought, and keeps that answer.
func (a *API) resume(rt route, c *call, k store.IdemKey) error {
	rec := &recorder{ResponseWriter: c.w}
	c.w = rec
	rec.Header().Set(replayedHeader, "true")
	if err := rt.resume(a, c, k.Resource); err != nil {
		rec.Header().Del(replayedHeader)
		return err
	}
	a.keep(context.WithoutCancel(c.ctx), c, k.ID, rec)
	return nil
}

// recorder passes an answer on and keeps a copy of it.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *recorder) answer() store.IdemAnswer {
	a := store.IdemAnswer{Status: r.status, Body: r.body.Bytes(), Headers: map[string]string{}}
	for _, name := range replayHeaders {
		if v := r.Header().Get(name); v != "" {
			a.Headers[name] = v
		}
	}
	return a
}
