package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Idempotency keys of the JSON API: the rows behind the Idempotency-Key
// header (cmd/internal/v1api owns the header and the answers). A request
// claims its key before it acts (ClaimIdem: one row per account and key,
// so two requests with one key never both act), the action links the row
// to what it created in the transaction that created and paid for it (a
// reservation, a rental or its extension, an order: WithIdemClaim), and
// the request stores its answer after (AnswerIdem), or frees the key when
// it failed and moved nothing (ReleaseIdem). A server that stops between
// the purchase and the answer leaves a row that names the purchase: a
// retry answers from it.

// IdempotencyRetention is how long a key is remembered: 24 hours, as long
// as the payment APIs clients know (Stripe's) keep theirs; a retry comes
// within minutes.
const IdempotencyRetention = 24 * time.Hour

// IdempotencyLease is how long a claim that neither created anything nor
// answered holds its key. A request takes seconds (each upstream call is
// bounded at 30); past the lease its server is taken for stopped and a
// retry may act. Should the first request still be running after all, its
// purchase fails in its own transaction (ErrIdemLost): nothing is bought
// twice.
const IdempotencyLease = 5 * time.Minute

// PurgeIdempotencyKeys names the purge step of old keys.
const PurgeIdempotencyKeys = "API idempotency keys older than 24 hours"

// ErrIdemLost refuses a purchase whose request held its key past
// IdempotencyLease, after a retry took the key over.
var ErrIdemLost error = userErr("a retry with the same Idempotency-Key took this request over: nothing was " +
	"charged here")

// IdemState is where a key stands when claimed.
type IdemState int

const (
	// IdemNew: the key is this request's now: act, then AnswerIdem or
	// ReleaseIdem.
	IdemNew IdemState = iota
	// IdemPending: another request holds the key and is acting.
	IdemPending
	// IdemStalled: a request created Resource with the key but never
	// answered (its server stopped); answer from Resource.
	IdemStalled
	// IdemDone: answered; Answer is the answer.
	IdemDone
)

// IdemRequest is a request that carries a key.
type IdemRequest struct {
	UserID   int64
	Key      string
	Request  string // method and path, "POST /v1/reservations"
	BodyHash []byte
}

// IdemKey is a key as claimed: the request that first used it, what it
// created and its answer.
type IdemKey struct {
	ID       int64
	State    IdemState
	Request  string
	BodyHash []byte
	Resource string // ResRef, RentRef, RentExtRef or OrderRef; "" when nothing was created
	Answer   IdemAnswer
}

// IdemAnswer is the answer stored for a key: HTTP status, body and the
// headers a replay repeats.
type IdemAnswer struct {
	Status  int
	Body    []byte
	Headers map[string]string
}

// ClaimIdem claims a key for a request, or returns the key as it stands
// when another request has it. A key past IdempotencyRetention, or held
// past IdempotencyLease by a request that created nothing and did not
// answer, is claimed anew. Writes are serial on both backends and the
// table is unique by account and key: of two requests with one key,
// exactly one gets IdemNew.
func (s *Store) ClaimIdem(ctx context.Context, req IdemRequest) (IdemKey, error) {
	if req.Key == "" || req.Request == "" || len(req.BodyHash) == 0 {
		return IdemKey{}, fmt.Errorf("claim idempotency key %+v: key, request and body hash are required", req)
	}
	var k IdemKey
	err := s.write(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE user_id = ? AND key = ?
			AND (created_at <= ? OR (status IS NULL AND resource IS NULL AND created_at <= ?))`, req.UserID, req.Key,
			tx.now-int64(IdempotencyRetention/time.Second), tx.now-int64(IdempotencyLease/time.Second)); err != nil {
			return fmt.Errorf("free a dead idempotency key: %w", err)
		}
		var err error
		k, err = tx.idemKey(ctx, req.UserID, req.Key)
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		k = IdemKey{State: IdemNew, Request: req.Request, BodyHash: req.BodyHash}
		if err := tx.QueryRowContext(ctx, `INSERT INTO idempotency_keys (user_id, key, request, body_hash,
			created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`, req.UserID, req.Key, req.Request, req.BodyHash,
			tx.now).Scan(&k.ID); err != nil {
			return fmt.Errorf("claim idempotency key: %w", err)
		}
		return nil
	})
	return k, err
}

// idemKey reads a held key and says where it stands.
func (tx *Tx) idemKey(ctx context.Context, userID int64, key string) (IdemKey, error) {
	var k IdemKey
	var created int64
	var resource, answer, headers sql.NullString
	var status sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT id, request, body_hash, created_at, resource, status, answer, headers
		FROM idempotency_keys WHERE user_id = ? AND key = ?`, userID, key).Scan(&k.ID, &k.Request, &k.BodyHash,
		&created, &resource, &status, &answer, &headers)
	if err != nil {
		return IdemKey{}, err
	}
	k.Resource = resource.String
	switch {
	case status.Valid:
		k.State, k.Answer = IdemDone, IdemAnswer{Status: int(status.Int64), Body: []byte(answer.String)}
		if headers.String != "" {
			if err := json.Unmarshal([]byte(headers.String), &k.Answer.Headers); err != nil {
				return IdemKey{}, fmt.Errorf("idempotency key %d: headers: %w", k.ID, err)
			}
		}
	case k.Resource != "" && created <= tx.now-int64(IdempotencyLease/time.Second):
		k.State = IdemStalled
	default:
		k.State = IdemPending
	}
	return k, nil
}

// AnswerIdem stores the answer of the request that claimed key id.
func (s *Store) AnswerIdem(ctx context.Context, userID, id int64, a IdemAnswer) error {
	headers, err := json.Marshal(a.Headers)
	if err != nil {
		return fmt.Errorf("answer idempotency key %d: %w", id, err)
	}
	return s.write(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE idempotency_keys SET status = ?, answer = ?, headers = ?
			WHERE id = ? AND user_id = ? AND status IS NULL`, a.Status, string(a.Body), string(headers), id,
			userID); err != nil {
			return fmt.Errorf("answer idempotency key %d: %w", id, err)
		}
		return nil
	})
}

// ReleaseIdem frees the key of a request that failed before anything was
// paid for, so that the same request may be sent again with it.
func (s *Store) ReleaseIdem(ctx context.Context, userID, id int64) error {
	return s.write(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE id = ? AND user_id = ? AND status IS NULL`,
			id, userID); err != nil {
			return fmt.Errorf("release idempotency key %d: %w", id, err)
		}
		return nil
	})
}

type idemClaimKey struct{}

// WithIdemClaim marks ctx as the context of the request that claimed key
// id: the reservation, rental, extension or order created with it is
// linked to the key in the transaction that creates it (and debits it). Only the request's own
// purchase runs with this context.
func WithIdemClaim(ctx context.Context, id int64) context.Context {
	return context.WithValue(ctx, idemClaimKey{}, id)
}

// linkIdem records resource on the key ctx was claimed with, if any. A
// claim taken over meanwhile (or already linked) fails the transaction
// with ErrIdemLost, so that one key never pays twice.
func (tx *Tx) linkIdem(ctx context.Context, userID int64, resource string) error {
	id, ok := ctx.Value(idemClaimKey{}).(int64)
	if !ok {
		return nil
	}
	res, err := tx.ExecContext(ctx, `UPDATE idempotency_keys SET resource = ?
		WHERE id = ? AND user_id = ? AND resource IS NULL AND status IS NULL`, resource, id, userID)
	if err != nil {
		return fmt.Errorf("link idempotency key %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrIdemLost
	}
	return nil
}

func init() {
	deleteHooks = append(deleteHooks, func(ctx context.Context, tx *Tx, userID int64) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE user_id = ?`, userID); err != nil {
			return fmt.Errorf("delete idempotency keys of %d: %w", userID, err)
		}
		return nil
	})
	purgeSteps = append(purgeSteps, purgeStep{PurgeIdempotencyKeys,
		func(ctx context.Context, tx *Tx, now time.Time) (int64, error) {
			return tx.execCount(ctx, `DELETE FROM idempotency_keys WHERE created_at <= ?`,
				now.Add(-IdempotencyRetention).Unix())
		}})
}
