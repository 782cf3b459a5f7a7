// Package idempotency keeps Idempotency-Key records in Postgres so that a retried POST gets
// the first response back byte for byte, a reused key with another body is refused, and a
// request still in flight is not run twice, across every replica.
package idempotency

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/placetopay-gateway/gateway/internal/idempotency/idempotencydb"
)

// Outcome says what the caller of Begin should do with the request.
type Outcome int

const (
	// Proceed: this caller holds the key and must run the request, then Complete or Release.
	Proceed Outcome = iota + 1
	// Replay: the request already ran; send the stored Response.
	Replay
	// Mismatch: the key was used with a different request.
	Mismatch
	// InFlight: another caller is running the same request now.
	InFlight
)

// Response is a stored response, replayed byte for byte.
type Response struct {
	Status      int
	ContentType string
	Body        []byte
}

// Store keeps idempotency records. lease bounds how long a holder that vanished (a crashed
// replica) blocks its key; it must exceed the longest request.
type Store struct {
	pool  *pgxpool.Pool
	q     *idempotencydb.Queries
	lease time.Duration
}

// NewStore returns a Store on pool.
func NewStore(pool *pgxpool.Pool, lease time.Duration) *Store {
	if pool == nil || lease <= 0 {
		panic("idempotency: NewStore needs a pool and a positive lease")
	}
	return &Store{pool: pool, q: idempotencydb.New(), lease: lease}
}

// Begin claims key for owner and the request identified by hash (which covers method, path
// and body), or reports why it cannot.
func (s *Store) Begin(ctx context.Context, owner, key, method, path string, hash []byte) (Outcome, *Response, error) {
	// Two rounds: the record can be released between the failed claim and the read.
	for range 2 {
		until := time.Now().Add(s.lease)
		_, err := s.q.Claim(ctx, s.pool, idempotencydb.ClaimParams{
			Owner: owner, Key: key, Method: method, Path: path, RequestHash: hash, LockedUntil: until,
		})
		if err == nil {
			return Proceed, nil, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return 0, nil, fmt.Errorf("idempotency: claim: %w", err)
		}
		rec, err := s.q.Get(ctx, s.pool, idempotencydb.GetParams{Owner: owner, Key: key})
		if errors.Is(err, pgx.ErrNoRows) {
			continue
		}
		if err != nil {
			return 0, nil, fmt.Errorf("idempotency: read: %w", err)
		}
		if !bytes.Equal(rec.RequestHash, hash) {
			return Mismatch, nil, nil
		}
		if rec.State == "done" {
			resp := &Response{Status: int(*rec.ResponseStatus), Body: rec.ResponseBody}
			if rec.ResponseContentType != nil {
				resp.ContentType = *rec.ResponseContentType
			}
			return Replay, resp, nil
		}
		_, err = s.q.TakeOver(ctx, s.pool, idempotencydb.TakeOverParams{
			Owner: owner, Key: key, RequestHash: hash, LockedUntil: until,
		})
		if err == nil {
			return Proceed, nil, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return 0, nil, fmt.Errorf("idempotency: take over: %w", err)
		}
		return InFlight, nil, nil
	}
	return InFlight, nil, nil
}

// Complete stores the response of a request this caller began.
func (s *Store) Complete(ctx context.Context, owner, key string, r Response) error {
	status := int32(r.Status)
	_, err := s.q.Complete(ctx, s.pool, idempotencydb.CompleteParams{
		Owner: owner, Key: key, ResponseStatus: &status, ResponseContentType: &r.ContentType, ResponseBody: r.Body,
	})
	if err != nil {
		return fmt.Errorf("idempotency: complete: %w", err)
	}
	return nil
}

// Release forgets a request this caller began without a response worth keeping (a server
// error), so that a retry runs it again.
func (s *Store) Release(ctx context.Context, owner, key string) error {
	if err := s.q.Release(ctx, s.pool, idempotencydb.ReleaseParams{Owner: owner, Key: key}); err != nil {
		return fmt.Errorf("idempotency: release: %w", err)
	}
	return nil
}

// DeleteOlderThan removes completed records created before t and returns how many.
func (s *Store) DeleteOlderThan(ctx context.Context, t time.Time) (int64, error) {
	n, err := s.q.DeleteOlderThan(ctx, s.pool, t)
	if err != nil {
		return 0, fmt.Errorf("idempotency: delete old: %w", err)
	}
	return n, nil
}
