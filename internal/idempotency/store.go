// Package idempotency keeps Idempotency-Key records in Postgres so that a retried POST gets
// the first response back byte for byte, a reused key with another body is refused, and a
// request still in flight is not run twice, across every replica.
package idempotency

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/placetopay-gateway/gateway/internal/idempotency/idempotencydb"
)

// Outcome says what the caller of Begin should do with the request.
type Outcome int

const (
	// Proceed means this caller holds the key and must run the request, then Complete or Release.
	Proceed Outcome = iota + 1
	// Replay means the request already ran; send the stored Response.
	Replay
	// Mismatch means the key was used with a different request.
	Mismatch
	// InFlight means another caller is running the same request now.
	InFlight
	// Unreadable means the request already ran, but its response was sealed with a key this
	// process does not have (GATEWAY_TOKEN_KEY differs between replicas, or changed): it
	// cannot be replayed, and the request must not run again.
	Unreadable
)

// Sealer encrypts stored responses, bound to their key, and names the key it used so that
// keys can be rotated. internal/tokens satisfies it.
type Sealer interface {
	Seal(plaintext, aad []byte) (keyID string, sealed []byte, err error)
	Open(keyID string, sealed, aad []byte) ([]byte, error)
}

// Response is a stored response, replayed byte for byte: status, the headers the handler
// set, and body.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Lease is a caller's hold on an in-flight key, returned by Begin with Proceed. Only its
// holder can Complete or Release the record.
type Lease struct {
	Owner, Key string
	token      uuid.UUID
}

// Store keeps idempotency records. lease bounds how long a holder that vanished (a crashed
// replica) blocks its key; it must exceed the longest request. Response bodies are stored
// sealed: a create answer holds the order's client secret and the buyer's personal data.
type Store struct {
	pool   *pgxpool.Pool
	q      *idempotencydb.Queries
	lease  time.Duration
	sealer Sealer
}

// NewStore returns a Store on pool that seals response bodies with sealer.
func NewStore(pool *pgxpool.Pool, lease time.Duration, sealer Sealer) *Store {
	if pool == nil || lease <= 0 || sealer == nil {
		panic("idempotency: NewStore needs a pool, a positive lease and a sealer")
	}
	return &Store{pool: pool, q: idempotencydb.New(), lease: lease, sealer: sealer}
}

// aad binds a sealed response to its record.
func aad(owner, key string) []byte {
	return []byte("idempotency:" + owner + "\x00" + key)
}

// Begin claims key for owner and the request identified by hash (which covers method, path
// and body), or reports why it cannot. With Proceed the Lease is the caller's to settle;
// with Replay the Response is the one to send.
func (s *Store) Begin(ctx context.Context, owner, key, method, path string, hash []byte) (Outcome, *Response, Lease, error) {
	lease := Lease{Owner: owner, Key: key, token: uuid.New()}
	// A few rounds: the record can be released or completed between the statements.
	for range 3 {
		_, err := s.q.Claim(ctx, s.pool, idempotencydb.ClaimParams{
			Owner: owner, Key: key, Method: method, Path: path, RequestHash: hash,
			LockToken: lease.token, LeaseSeconds: s.lease.Seconds(),
		})
		if err == nil {
			return Proceed, nil, lease, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return 0, nil, Lease{}, fmt.Errorf("idempotency: claim: %w", err)
		}
		rec, err := s.q.Get(ctx, s.pool, idempotencydb.GetParams{Owner: owner, Key: key})
		if errors.Is(err, pgx.ErrNoRows) {
			continue
		}
		if err != nil {
			return 0, nil, Lease{}, fmt.Errorf("idempotency: read: %w", err)
		}
		if !bytes.Equal(rec.RequestHash, hash) {
			return Mismatch, nil, Lease{}, nil
		}
		if rec.State == "done" {
			resp := &Response{Status: int(*rec.ResponseStatus), Body: rec.ResponseBody}
			if err := json.Unmarshal(rec.ResponseHeaders, &resp.Header); err != nil {
				return 0, nil, Lease{}, fmt.Errorf("idempotency: stored headers: %w", err)
			}
			if rec.ResponseKeyID != nil { // nil: stored in clear before bodies were sealed
				body, openErr := s.sealer.Open(*rec.ResponseKeyID, rec.ResponseBody, aad(owner, key))
				if openErr != nil {
					return Unreadable, nil, Lease{}, nil //nolint:nilerr // an answer, not a failure: the caller says it cannot be replayed
				}
				resp.Body = body
				if resp.Body == nil {
					resp.Body = []byte{} // an empty body is a response too
				}
			}
			return Replay, resp, Lease{}, nil
		}
		_, err = s.q.TakeOver(ctx, s.pool, idempotencydb.TakeOverParams{
			Owner: owner, Key: key, RequestHash: hash, LockToken: lease.token, LeaseSeconds: s.lease.Seconds(),
		})
		if err == nil {
			return Proceed, nil, lease, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return 0, nil, Lease{}, fmt.Errorf("idempotency: take over: %w", err)
		}
		// Still held, or completed since the read: the next round tells which.
	}
	return InFlight, nil, Lease{}, nil
}

// ErrLeaseLost is returned when a holder settles a record it no longer holds: it was
// completed or released already, or its lease ran out and another request took it over.
var ErrLeaseLost = errors.New("idempotency: the key is no longer held by this request")

// Complete stores the response of the request l holds.
func (s *Store) Complete(ctx context.Context, l Lease, r Response) error {
	status := int32(r.Status)
	body := r.Body
	header := r.Header
	if header == nil {
		header = http.Header{}
	}
	headerJSON, err := json.Marshal(header)
	if err != nil {
		return fmt.Errorf("idempotency: complete: headers: %w", err)
	}
	keyID, sealed, err := s.sealer.Seal(body, aad(l.Owner, l.Key))
	if err != nil {
		return fmt.Errorf("idempotency: complete: seal: %w", err)
	}
	n, err := s.q.Complete(ctx, s.pool, idempotencydb.CompleteParams{
		Owner: l.Owner, Key: l.Key, LockToken: l.token,
		ResponseStatus: &status, ResponseHeaders: headerJSON, ResponseBody: sealed, ResponseKeyID: &keyID,
	})
	if err != nil {
		return fmt.Errorf("idempotency: complete: %w", err)
	}
	if n == 0 {
		return ErrLeaseLost
	}
	return nil
}

// Release forgets the request l holds without keeping a response (a server error), so that
// a retry runs it again.
func (s *Store) Release(ctx context.Context, l Lease) error {
	n, err := s.q.Release(ctx, s.pool, idempotencydb.ReleaseParams{Owner: l.Owner, Key: l.Key, LockToken: l.token})
	if err != nil {
		return fmt.Errorf("idempotency: release: %w", err)
	}
	if n == 0 {
		return ErrLeaseLost
	}
	return nil
}
