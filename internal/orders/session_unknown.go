package orders

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/orders/ordersdb"
)

// A session PlacetoPay says does not exist is a real signal: the gateway opened it, so the
// credentials, the site or the environment it now asks with are not those it was opened
// with (or, in development, the sandbox lost its state). Such a session is flagged on its
// order's timeline once, counted in gateway_sessions_unknown (alert SessionsUnknown), taken
// out of the open slot so that its processUrl is never handed out again, and checked on the
// failure backoff (up to an hour apart) until tailLimit after its expiry: once the
// credentials are fixed, a payment on it is applied as usual, and one approved after the
// order was cancelled goes to review. The order may be cancelled meanwhile.

// unknownSession flags the session requestID as unknown to PlacetoPay, from db (the pool or
// the caller's transaction). first is true for the call that flagged it; gaveUp when it
// expired more than tailLimit ago and is no longer checked.
func (s *Store) unknownSession(ctx context.Context, db ordersdb.DBTX, requestID int64, now time.Time) (sessionID, orderID uuid.UUID, first, gaveUp, ok bool, err error) {
	row, err := s.q.MarkSessionUnknown(ctx, db, ordersdb.MarkSessionUnknownParams{
		RequestID: &requestID, Now: now, GiveUpExpiredBefore: now.Add(-tailLimit),
	})
	if ok, err = found(err); !ok {
		return uuid.Nil, uuid.Nil, false, false, false, err
	}
	return row.ID, row.OrderID, row.First, row.GaveUp, true, nil
}

// sessionUnknown flags the session after PlacetoPay said, answering the probe's query, that
// it does not exist; the caller has already moved its next check back (checkFailed). The flag
// and its timeline note are written in one transaction: nobody sees one without the other.
func (p *Prober) sessionUnknown(ctx context.Context, requestID int64, cause *SessionUnknownError) {
	var first bool
	err := p.store.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		first, err = flagUnknown(ctx, p.store, tx, requestID, cause, p.cfg.Clock())
		return err
	})
	if err != nil && ctx.Err() == nil {
		p.log.Warn("probe: flag a session PlacetoPay does not know", zap.Int64("requestId", requestID), zap.Error(err))
	}
	if first {
		p.log.Error("PlacetoPay says a session the gateway opened does not exist: check PLACETOPAY_LOGIN, PLACETOPAY_SECRET_KEY and PLACETOPAY_BASE_URL",
			zap.Int64("requestId", requestID), zap.Int("httpStatus", cause.Err.HTTPStatus), zap.String("reason", cause.Err.Reason))
	}
}

// flagUnknown flags the session and, the first time, says so on its order's timeline; when
// it is given up, says that too.
func flagUnknown(ctx context.Context, store *Store, db ordersdb.DBTX, requestID int64, cause *SessionUnknownError, now time.Time) (first bool, err error) {
	sessionID, orderID, first, gaveUp, ok, err := store.unknownSession(ctx, db, requestID, now)
	if err != nil || !ok {
		return false, err
	}
	if first {
		msg := fmt.Sprintf("PlacetoPay says session %d does not exist (HTTP %d, %s: %s): the gateway's PlacetoPay credentials, site or "+
			"environment are not those it was opened with. Its payment page is never handed out again; a new checkout opens a new "+
			"session, and the order may be cancelled. The gateway keeps checking it, less and less often, in case a payment shows once the credentials are fixed",
			requestID, cause.Err.HTTPStatus, cause.Err.Reason, cause.Err.Message)
		if err := store.note(ctx, db, orderID, &sessionID, "session_unknown", msg); err != nil {
			return first, err
		}
	}
	if gaveUp {
		msg := fmt.Sprintf("the gateway stopped checking session %d: PlacetoPay still says it does not exist, %s after its expiry", requestID, tailLimit)
		if err := store.note(ctx, db, orderID, &sessionID, "probe_gave_up", msg); err != nil {
			return first, err
		}
	}
	return first, nil
}
