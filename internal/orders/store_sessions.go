package orders

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/placetopay-gateway/gateway/internal/orders/ordersdb"
)

// openSession returns the order's creating or open session FOR UPDATE; ok is false when the
// order has none.
func (s *Store) openSession(ctx context.Context, tx pgx.Tx, orderID uuid.UUID) (sess Session, ok bool, err error) {
	row, err := s.q.GetOpenSession(ctx, tx, orderID)
	if ok, err = found(err); !ok {
		return Session{}, false, err
	}
	return sessionFromRow(row), true, nil
}

// newAttempt is a session about to be asked of PlacetoPay.
type newAttempt struct {
	orderID           uuid.UUID
	kind              SessionKind
	amount            Money
	allowPartial      bool
	request           []byte // the storefront's choices, kept to hand the session out again
	expiresAt         time.Time
	customerReference string
	paymentMethodID   *uuid.UUID // a collect's stored card
}

// insertAttempt writes a creating attempt inside tx, before PlacetoPay is called.
func (s *Store) insertAttempt(ctx context.Context, tx pgx.Tx, a newAttempt) (Session, error) {
	id := uuid.Must(uuid.NewV7())
	var (
		row ordersdb.CheckoutSession
		err error
	)
	if a.kind == KindCollect {
		row, err = s.q.InsertCollectAttempt(ctx, tx, ordersdb.InsertCollectAttemptParams{
			ID: id, OrderID: a.orderID, Currency: a.amount.Currency, TotalMinor: a.amount.Minor,
			Request: a.request, ExpiresAt: a.expiresAt, CustomerReference: nullable(a.customerReference),
			PaymentMethodID: a.paymentMethodID,
		})
		return sessionFromRow(row), err
	}
	row, err = s.q.InsertSessionAttempt(ctx, tx, ordersdb.InsertSessionAttemptParams{
		ID: id, OrderID: a.orderID, Kind: string(a.kind), Currency: a.amount.Currency, TotalMinor: a.amount.Minor,
		AllowPartial: a.allowPartial, Request: a.request, ExpiresAt: a.expiresAt,
	})
	if err == nil && a.customerReference != "" {
		err = s.q.SetSessionCustomer(ctx, tx, ordersdb.SetSessionCustomerParams{ID: id, CustomerReference: &a.customerReference})
		row.CustomerReference = &a.customerReference
	}
	return sessionFromRow(row), err
}

// opened completes a creating attempt with PlacetoPay's answer and makes it due for its
// first probe at next.
func (s *Store) opened(ctx context.Context, db ordersdb.DBTX, id uuid.UUID, requestID int64, processURL string, next time.Time) (Session, error) {
	row, err := s.q.OpenSession(ctx, db, ordersdb.OpenSessionParams{
		ID: id, RequestID: &requestID, ProcessUrl: nullable(processURL), NextCheckAt: &next,
	})
	return sessionFromRow(row), err
}

// abandon marks a creating attempt as never opened, with PlacetoPay's reason when it gave one.
func (s *Store) abandon(ctx context.Context, db ordersdb.DBTX, id uuid.UUID, reason, message string) error {
	return s.q.AbandonSession(ctx, db, ordersdb.AbandonSessionParams{ID: id, Reason: nullable(reason), Message: nullable(message)})
}

// deleteAttempt removes a creating attempt PlacetoPay refused or failed: nothing was opened.
func (s *Store) deleteAttempt(ctx context.Context, id uuid.UUID) error {
	return s.q.DeleteSessionAttempt(ctx, s.pool, id)
}

// abandonStaleAttempts abandons the attempts created before before that never completed.
func (s *Store) abandonStaleAttempts(ctx context.Context, before time.Time) error {
	_, err := s.q.AbandonStaleAttempts(ctx, s.pool, before)
	return err
}

// sessionByRequestID reads a session by PlacetoPay's requestId; ok is false for none.
func (s *Store) sessionByRequestID(ctx context.Context, requestID int64) (sess Session, ok bool, err error) {
	row, err := s.q.GetSessionByRequestID(ctx, s.pool, &requestID)
	if ok, err = found(err); !ok {
		return Session{}, false, err
	}
	return sessionFromRow(row), true, nil
}

// lockSession reads a session by requestId FOR UPDATE inside tx (after its order's lock).
func (s *Store) lockSession(ctx context.Context, tx pgx.Tx, requestID int64) (Session, error) {
	row, err := s.q.GetSessionByRequestIDForUpdate(ctx, tx, &requestID)
	return sessionFromRow(row), err
}

// session reads a session by its id.
func (s *Store) session(ctx context.Context, db ordersdb.DBTX, id uuid.UUID) (Session, error) {
	row, err := s.q.GetSession(ctx, db, id)
	return sessionFromRow(row), err
}

// setSession writes a session's status as PlacetoPay last reported it, its attempt and
// when it is next due (nil: never), stamping the check.
func (s *Store) setSession(ctx context.Context, db ordersdb.DBTX, sess Session, next *time.Time) error {
	return s.q.UpdateSessionState(ctx, db, ordersdb.UpdateSessionStateParams{
		ID: sess.ID, Status: string(sess.Status), Reason: nullable(sess.Reason), Message: nullable(sess.Message),
		Attempt: string(sess.Attempt), NextCheckAt: next,
	})
}

// touchPending moves only the schedule of a session PlacetoPay still reports pending with
// nothing paid on its order; it reports false, having written nothing, when that no longer
// holds (TouchPendingSession's guard).
func (s *Store) touchPending(ctx context.Context, id uuid.UUID, reason string, next time.Time) (bool, error) {
	n, err := s.q.TouchPendingSession(ctx, s.pool, ordersdb.TouchPendingSessionParams{ID: id, NextCheckAt: &next, Reason: reason})
	return n == 1, err
}

// checkFailures counts a session's failed queries in a row: all of them, and those among
// them that PlacetoPay answered with something the gateway could not read.
type checkFailures struct {
	all, unreadable int
}

// checkFailed records a failed query of the session, unreadable when PlacetoPay answered
// something the gateway could not read, and makes it due again after a delay that doubles
// with every failure in a row, from firstRetry up to an hour. It returns the failures in a
// row; ok is false when the session is no longer checked.
func (s *Store) checkFailed(ctx context.Context, requestID int64, unreadable bool, firstRetry time.Duration, now time.Time) (sess Session, failures checkFailures, ok bool, err error) {
	row, err := s.q.SessionCheckFailed(ctx, s.pool, ordersdb.SessionCheckFailedParams{
		Unreadable: unreadable, Now: now, FirstRetrySeconds: firstRetry.Seconds(), RequestID: &requestID,
	})
	if ok, err = found(err); !ok {
		return Session{}, checkFailures{}, false, err
	}
	sess = Session{ID: row.ID, OrderID: row.OrderID, RequestID: &requestID, NextCheckAt: row.NextCheckAt}
	return sess, checkFailures{all: int(row.CheckFailures), unreadable: int(row.UnreadableAnswers)}, true, nil
}

// claimDue leases up to limit sessions for a check, first those a notification asked about,
// then those due for a routine check, and returns their requestIds.
func (s *Store) claimDue(ctx context.Context, lease time.Duration, limit int) ([]int64, error) {
	ids, err := s.q.ClaimNotifiedSessions(ctx, s.pool, ordersdb.ClaimNotifiedSessionsParams{
		LeaseSeconds: lease.Seconds(), MaxRows: int32(limit),
	})
	if err == nil && len(ids) < limit {
		var due []*int64
		due, err = s.q.ClaimDueSessions(ctx, s.pool, ordersdb.ClaimDueSessionsParams{
			LeaseSeconds: lease.Seconds(), MaxRows: int32(limit - len(ids)),
		})
		ids = append(ids, due...)
	}
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if id != nil {
			out = append(out, *id)
		}
	}
	return out, err
}

// sessionsToCheck returns the requestIds of the order's sessions that may still change.
func (s *Store) sessionsToCheck(ctx context.Context, orderID uuid.UUID) ([]int64, error) {
	ids, err := s.q.ListOrderSessionsForCheck(ctx, s.pool, orderID)
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if id != nil {
			out = append(out, *id)
		}
	}
	return out, err
}

// claimStaleSessions returns the requestIds of the order's sessions that may still change
// and were not checked in the last every, stamping them as checked now (the query's claim).
func (s *Store) claimStaleSessions(ctx context.Context, orderID uuid.UUID, every time.Duration) ([]int64, error) {
	ids, err := s.q.ClaimOrderSessionsForRefresh(ctx, s.pool, ordersdb.ClaimOrderSessionsForRefreshParams{
		OrderID: orderID, EverySeconds: every.Seconds(),
	})
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if id != nil {
			out = append(out, *id)
		}
	}
	return out, err
}

// notified reports whether PlacetoPay ever sent a notification for the session.
func (s *Store) notified(ctx context.Context, tx pgx.Tx, requestID int64) (bool, error) {
	return s.q.SessionNotified(ctx, tx, requestID)
}

// latestCollect returns the order's newest collect attempt; ok is false for none.
func (s *Store) latestCollect(ctx context.Context, tx pgx.Tx, orderID uuid.UUID) (sess Session, ok bool, err error) {
	row, err := s.q.LatestCollectSession(ctx, tx, orderID)
	if ok, err = found(err); !ok {
		return Session{}, false, err
	}
	return sessionFromRow(row), true, nil
}

// recurringSession returns the order's approved session that set up a recurrence; ok is
// false for none.
func (s *Store) recurringSession(ctx context.Context, tx pgx.Tx, orderID uuid.UUID) (sess Session, ok bool, err error) {
	row, err := s.q.GetRecurringSession(ctx, tx, orderID)
	if ok, err = found(err); !ok {
		return Session{}, false, err
	}
	return sessionFromRow(row), true, nil
}
