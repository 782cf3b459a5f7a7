package autopay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/orders"
	pp "github.com/placetopay-gateway/gateway/internal/placetopay"
	"github.com/placetopay-gateway/gateway/internal/strictjson"
)

// Charge statuses.
const (
	ChargeReported = "reported" // a settlement or webhook said so; not yet confirmed by a query
	ChargeApproved = "approved" // the gateway's /autopay/transactions query shows it APPROVED
	ChargeFailed   = "failed"   // the query shows it REJECTED or FAILED
	ChargeReview   = "review"   // the query shows an approval that does not match the settlement
)

// settlement is the body PlacetoPay posts to {merchant}/autopay/settlement
// (autopay-openapi.yaml): the autopay and one approved transaction. It is not signed; HTTP
// Basic authenticates it, and the gateway's own query confirms it.
type settlement struct {
	Reference   pp.String `json:"reference"`
	ID          string    `json:"id"`
	Transaction *struct {
		Status            pp.Status `json:"status"`
		InternalReference pp.Int64  `json:"internalReference"`
		Reference         pp.String `json:"reference"`
		PaymentMethod     string    `json:"paymentMethod"`
		Franchise         string    `json:"franchise"`
		Amount            *struct {
			Currency pp.String  `json:"currency"`
			Total    pp.Decimal `json:"total"`
		} `json:"amount"`
		Authorization pp.String `json:"authorization"`
		Receipt       pp.String `json:"receipt"`
	} `json:"transaction"`
}

// SettlementAck is what the settlement endpoint answers: PlacetoPay's autopay id.
type SettlementAck struct {
	ID string
}

// ErrMalformed is a webhook or settlement body the gateway cannot use; nothing was stored.
var ErrMalformed = errors.New("autopay: malformed body")

// ErrBadSignature is an autopay webhook whose signature does not verify; nothing was stored.
var ErrBadSignature = errors.New("autopay: bad signature")

// unreadableCurrency is ISO 4217's "no currency". A settlement whose amount cannot be read
// exactly is recorded in it, with no amount: no query matches it, so its charge goes to review
// once a query confirms the charge, as checkout payments do (orders.Store.recordTransaction).
const unreadableCurrency = "XXX"

// verifyBudget bounds the /autopay/transactions query made while PlacetoPay waits for the
// settlement's answer (it expects one within 3 seconds).
const verifyBudget = 2 * time.Second

// ReceiveSettlement records an approved charge PlacetoPay settles. The same settlement
// delivered again records nothing new (the charge is keyed by internalReference). The charge
// counts as approved only once the gateway's own /autopay/transactions query shows it with
// the same amount; that query is tried at once within a short budget, and again later by
// RunChecks. The amount is read as PlacetoPay writes it (placetopay.Decimal.Money: trailing
// zeros, an exponent); one that cannot be read exactly (a digit below the currency's minor
// unit, an unknown currency) is recorded in unreadableCurrency, so that its charge can only
// go to review: an approved settlement is never refused for its amount. A body with a name
// given twice or in another case, or invalid UTF-8, is ErrMalformed (strictjson).
func (s *Service) ReceiveSettlement(ctx context.Context, body []byte) (SettlementAck, error) {
	var b settlement
	if err := strictjson.Unmarshal(body, &b, strictjson.IgnoreUnknown); err != nil {
		return SettlementAck{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	pid, err := uuid.Parse(b.ID)
	t := b.Transaction
	switch {
	case err != nil:
		return SettlementAck{}, fmt.Errorf("%w: id must be a uuid", ErrMalformed)
	case t == nil || t.InternalReference <= 0:
		return SettlementAck{}, fmt.Errorf("%w: transaction.internalReference is required", ErrMalformed)
	case t.Status.Status != pp.StatusApproved:
		return SettlementAck{}, fmt.Errorf("%w: only approved transactions are settled", ErrMalformed)
	}
	ref := int64(t.InternalReference)
	var cur *string
	var minor *int64
	if a := t.Amount; a != nil {
		c, m := unreadableCurrency, int64(0)
		if money, err := a.Total.Money(string(a.Currency)); err == nil {
			c, m = money.Currency, money.Minor
		} else {
			s.log.Warn("settlement amount cannot be read exactly; its charge can only go to review",
				zap.Int64("internalReference", ref), zap.Error(err))
		}
		cur, minor = &c, &m
	}
	// Only the parsed fields are kept: the raw body may carry card data (processorFields:
	// BIN, expiry), which the gateway never stores.
	kept, err := json.Marshal(b)
	if err != nil {
		return SettlementAck{}, fmt.Errorf("autopay: settlement %d: %w", ref, err)
	}
	var owner uuid.UUID
	err = s.store.pool.QueryRow(ctx, `INSERT INTO autopay_charges (id, provider_autopay_id, internal_reference, status,
		provider_status, provider_reason, currency, amount_minor, authorization_code, receipt, franchise, payment_method,
		source, settlement, next_check_at)
		VALUES ($1, $2, $3, 'reported', $4, $5, $6, $7, $8, $9, $10, $11, 'settlement', $12, now() + interval '30 seconds')
		ON CONFLICT (internal_reference) DO UPDATE SET deliveries = autopay_charges.deliveries + 1, updated_at = now(),
			settlement = coalesce(autopay_charges.settlement, EXCLUDED.settlement)
		RETURNING provider_autopay_id`,
		uuid.New(), pid, ref, t.Status.Status, nullable(string(t.Status.Reason)), cur, minor,
		nullable(string(t.Authorization)), nullable(string(t.Receipt)), nullable(t.Franchise), nullable(t.PaymentMethod), kept,
	).Scan(&owner)
	if err != nil {
		return SettlementAck{}, fmt.Errorf("autopay: record settlement %d: %w", ref, err)
	}
	if owner != pid {
		s.log.Warn("settlement names another autopay than the charge already recorded",
			zap.Int64("internalReference", ref), zap.String("autopayId", pid.String()))
		return SettlementAck{ID: pid.String()}, nil
	}
	vctx, cancel := context.WithTimeout(ctx, verifyBudget)
	defer cancel()
	if err := s.checkCharge(vctx, pid, ref, "settlement"); err != nil {
		s.log.Info("settlement recorded; its confirmation query will be retried", zap.Int64("internalReference", ref), zap.Error(err))
	}
	return SettlementAck{ID: pid.String()}, nil
}

// checkCharge asks PlacetoPay for charge ref of autopay pid and records what it says. A
// charge PlacetoPay does not list (yet) is left as it is.
func (s *Service) checkCharge(ctx context.Context, pid uuid.UUID, ref int64, source string) error {
	res, err := s.client.AutopayTransactions(ctx, pp.AutopayTransactionsRequest{
		ID: pid.String(), Filters: &pp.AutopayTransactionFilters{InternalReference: strconv.FormatInt(ref, 10)},
	})
	if err != nil {
		_, _ = s.store.pool.Exec(ctx, `UPDATE autopay_charges SET next_check_at = now() + interval '1 minute'
			WHERE internal_reference = $1 AND status = 'reported'`, ref)
		return s.providerFailure("list autopay transactions", err)
	}
	var tx *pp.Transaction
	for i := range res.Data {
		if int64(res.Data[i].InternalReference) == ref {
			tx = &res.Data[i]
		}
	}
	if tx == nil {
		_, err := s.store.pool.Exec(ctx, `UPDATE autopay_charges SET next_check_at = now() + interval '1 minute'
			WHERE internal_reference = $1 AND status = 'reported'`, ref)
		return err
	}
	var queried *orders.Money // nil when the query's amount cannot be read exactly
	if a := tx.Amount; a != nil {
		if m, err := a.From.Total.Money(a.From.Currency); err == nil {
			queried = &m
		}
	}
	return s.store.inTx(ctx, func(dbtx pgx.Tx) error {
		var (
			status   string
			cur      *string
			minor    *int64
			existing = true
		)
		err := dbtx.QueryRow(ctx, `SELECT status, currency, amount_minor FROM autopay_charges
			WHERE internal_reference = $1 FOR UPDATE`, ref).Scan(&status, &cur, &minor)
		if errors.Is(err, pgx.ErrNoRows) {
			existing = false
		} else if err != nil {
			return err
		}
		if existing && status != ChargeReported {
			return nil // decided already: never moved twice
		}
		next := ChargeReported
		switch tx.Status.Status {
		case pp.StatusApproved:
			next = ChargeApproved
			if queried == nil || (cur != nil && minor != nil && (queried.Currency != *cur || queried.Minor != *minor)) {
				next = ChargeReview
			}
		case pp.StatusRejected, pp.StatusFailed:
			next = ChargeFailed
		}
		qcur, qminor := amountColumns(queried)
		if !existing {
			_, err = dbtx.Exec(ctx, `INSERT INTO autopay_charges (id, provider_autopay_id, internal_reference, status,
				provider_status, provider_reason, currency, amount_minor, authorization_code, receipt, franchise,
				payment_method, source, verified_at, next_check_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, now(),
					CASE WHEN $4 = 'reported' THEN now() + interval '1 minute' END)`,
				uuid.New(), pid, ref, next, tx.Status.Status, nullable(string(tx.Status.Reason)), qcur, qminor,
				nullable(string(tx.Authorization)), nullable(string(tx.Receipt)), nullable(tx.Franchise),
				nullable(tx.PaymentMethod), source)
			if err != nil || next == ChargeReported {
				return err
			}
			return s.store.announceCharge(ctx, dbtx, pid, ref)
		}
		if next == ChargeReported {
			_, err = dbtx.Exec(ctx, `UPDATE autopay_charges SET next_check_at = now() + interval '1 minute'
				WHERE internal_reference = $1`, ref)
			return err
		}
		_, err = dbtx.Exec(ctx, `UPDATE autopay_charges SET status = $2, provider_status = $3, provider_reason = $4,
			authorization_code = coalesce($5, authorization_code), receipt = coalesce($6, receipt),
			verified_at = now(), next_check_at = NULL, updated_at = now()
			WHERE internal_reference = $1 AND status = 'reported'`,
			ref, next, tx.Status.Status, nullable(string(tx.Status.Reason)),
			nullable(string(tx.Authorization)), nullable(string(tx.Receipt)))
		if err != nil {
			return err
		}
		return s.store.announceCharge(ctx, dbtx, pid, ref)
	})
}
