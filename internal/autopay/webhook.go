package autopay

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	pp "github.com/placetopay-gateway/gateway/internal/placetopay"
)

// Autopay webhook types (docs/placetopay.md#autopay-webhooks).
const (
	EventCreated           = "AUTOPAY_CREATED"
	EventUpdated           = "AUTOPAY_UPDATED"
	EventCanceled          = "AUTOPAY_CANCELED"
	EventTransactionFailed = "AUTOPAY_TRANSACTION_FAILED"
)

// processBudget bounds the queries a webhook triggers before it is answered; what does not
// finish is taken up by RunChecks.
const processBudget = 5 * time.Second

// ReceiveWebhook verifies an autopay webhook (signature in constant time), stores it raw
// (once: the same id, type and date again only counts a duplicate) and reconciles the
// autopay by searching PlacetoPay for it: the body itself changes nothing. A bad signature
// or a malformed body stores nothing.
func (s *Service) ReceiveWebhook(ctx context.Context, body []byte) error {
	w, err := pp.VerifyAutopayWebhook(body, s.secret)
	switch {
	case errors.Is(err, pp.ErrBadSignature):
		return ErrBadSignature
	case err != nil:
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if _, err := uuid.Parse(w.ID); err != nil {
		return fmt.Errorf("%w: id must be a uuid", ErrMalformed)
	}
	switch w.Type {
	case EventCreated, EventUpdated, EventCanceled, EventTransactionFailed:
	default:
		return fmt.Errorf("%w: unknown type %q", ErrMalformed, w.Type)
	}
	key := sha256.Sum256([]byte("autopay\x00" + w.ID + "\x00" + w.Type + "\x00" + w.Date))
	var id int64
	var processed *time.Time
	err = s.store.pool.QueryRow(ctx, `INSERT INTO notifications (kind, reference, status, signature_algorithm, dedupe_key, body)
		VALUES ('autopay', $1, $2, 'sha256', $3, $4)
		ON CONFLICT ON CONSTRAINT notifications_dedupe_key DO UPDATE SET duplicates = notifications.duplicates + 1
		RETURNING id, processed_at`, nullable(string(w.Reference)), w.Type, key[:], body).Scan(&id, &processed)
	if err != nil {
		return fmt.Errorf("autopay: store webhook: %w", err)
	}
	if processed != nil {
		return nil
	}
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), processBudget)
	defer cancel()
	err = s.process(pctx, w)
	if err == nil {
		err = markProcessed(pctx, s.store.pool, id)
	}
	if err != nil {
		s.log.Warn("autopay webhook stored; its reconciliation will be retried", zap.Int64("notification", id),
			zap.String("type", w.Type), zap.Error(err))
	}
	return nil
}

func markProcessed(ctx context.Context, q querier, id int64) error {
	_, err := q.Exec(ctx, `UPDATE notifications SET processed_at = now() WHERE id = $1`, id)
	return err
}

// process reconciles what webhook w is about.
func (s *Service) process(ctx context.Context, w pp.AutopayWebhook) error {
	pid, err := uuid.Parse(w.ID)
	if err != nil {
		return err
	}
	if err := s.Reconcile(ctx, pid); err != nil {
		return err
	}
	if w.Type == EventTransactionFailed {
		var add struct {
			TransactionID pp.String `json:"transactionID"`
		}
		_ = json.Unmarshal(w.Additional, &add)
		if ref, err := strconv.ParseInt(string(add.TransactionID), 10, 64); err == nil && ref > 0 {
			return s.checkCharge(ctx, pid, ref, "webhook")
		}
	}
	return nil
}

// RunChecks retries, every interval until ctx ends, what could not be finished when it
// arrived: webhooks whose reconciliation failed and charges not yet confirmed by a query.
// Replicas share the work: each item is claimed FOR UPDATE SKIP LOCKED.
func (s *Service) RunChecks(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.checkOnce(ctx)
		}
	}
}

func (s *Service) checkOnce(ctx context.Context) {
	for range 10 {
		done, err := s.retryOneWebhook(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.Warn("autopay webhook retry", zap.Error(err))
		}
		if !done {
			break
		}
	}
	for range 10 {
		done, err := s.retryOneCharge(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.Warn("autopay charge check", zap.Error(err))
		}
		if !done {
			break
		}
	}
}

// retryOneWebhook processes the oldest unprocessed autopay webhook older than 30 seconds;
// it reports whether there was one.
func (s *Service) retryOneWebhook(ctx context.Context) (bool, error) {
	found := false
	err := s.store.inTx(ctx, func(tx pgx.Tx) error {
		var id int64
		var body []byte
		err := tx.QueryRow(ctx, `SELECT id, body FROM notifications WHERE kind = 'autopay' AND processed_at IS NULL
			AND received_at < now() - interval '30 seconds' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED`).Scan(&id, &body)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		} else if err != nil {
			return err
		}
		found = true
		var w pp.AutopayWebhook
		if err := json.Unmarshal(body, &w); err != nil {
			return err
		}
		pctx, cancel := context.WithTimeout(ctx, processBudget)
		defer cancel()
		if perr := s.process(pctx, w); perr != nil {
			// Leave it for a later pass, behind the others.
			s.log.Warn("autopay webhook retry failed", zap.Int64("notification", id), zap.Error(perr))
			_, err = tx.Exec(ctx, `UPDATE notifications SET received_at = now() WHERE id = $1`, id)
			return err
		}
		return markProcessed(ctx, tx, id)
	})
	return found, err
}

// retryOneCharge checks one reported charge that is due.
func (s *Service) retryOneCharge(ctx context.Context) (bool, error) {
	var pid uuid.UUID
	var ref int64
	err := s.store.pool.QueryRow(ctx, `UPDATE autopay_charges SET next_check_at = now() + interval '1 minute'
		WHERE internal_reference = (SELECT internal_reference FROM autopay_charges WHERE status = 'reported'
			AND next_check_at <= now() ORDER BY next_check_at LIMIT 1 FOR UPDATE SKIP LOCKED)
		RETURNING provider_autopay_id, internal_reference`).Scan(&pid, &ref)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	cctx, cancel := context.WithTimeout(ctx, processBudget)
	defer cancel()
	return true, s.checkCharge(cctx, pid, ref, "settlement")
}
