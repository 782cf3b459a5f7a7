package autopay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/placetopay-gateway/gateway/internal/orders"
)

// What the merchant hears of enrolments and their charges: events in the same outbox as the
// order events (GET /v1/events, MERCHANT_WEBHOOK_URL), about an enrolment instead of an
// order. Each is written in the transaction that records what it announces, under the
// enrolment's (or the charge's) row lock, so a change seen by several webhooks, refreshes
// and replicas at once is announced once.
const (
	// EventTypeCharged: the gateway's own query shows a charge approved, or approved but not
	// matching its settlement (charge status review).
	EventTypeCharged = "autopay.charged"
	// EventTypeFailed: the gateway's own query shows a charge rejected or failed.
	EventTypeFailed = "autopay.failed"
	// EventTypeUpdated: the enrolment's status or terms changed (activated, edited,
	// completed, failed, expired, or a new instrument).
	EventTypeUpdated = "autopay.updated"
	// EventTypeCancelled: the enrolment was cancelled, by the merchant or the payer.
	EventTypeCancelled = "autopay.cancelled"
)

// EventTypes returns every event type the gateway writes about autopay, sorted.
func EventTypes() []string {
	return []string{EventTypeCancelled, EventTypeCharged, EventTypeFailed, EventTypeUpdated}
}

// moneyData is an amount as events show it: the currency and the exact decimal.
type moneyData struct {
	Currency string `json:"currency"`
	Total    string `json:"total"`
}

func moneyOf(m *orders.Money) *moneyData {
	if m == nil {
		return nil
	}
	return &moneyData{Currency: m.Currency, Total: m.Decimal()}
}

// enrolmentData is the data of autopay.updated and autopay.cancelled: the enrolment after the
// change, and its status before.
type enrolmentData struct {
	EnrolmentID    uuid.UUID   `json:"enrolmentId"`
	AutopayID      string      `json:"autopayId,omitempty"` // PlacetoPay's, once known
	Reference      string      `json:"reference"`
	Status         Status      `json:"status"`
	PreviousStatus Status      `json:"previousStatus"`
	Description    string      `json:"description"`
	Recurring      Recurring   `json:"recurring"`
	Amount         *moneyData  `json:"amount,omitempty"`
	DueDay         int         `json:"dueDay,omitempty"`
	Instrument     *Instrument `json:"instrument,omitempty"`
}

func dataOf(e *Enrolment) enrolmentData {
	d := enrolmentData{
		EnrolmentID: e.ID, Reference: e.Reference, Status: e.Status, Description: e.Description,
		Recurring: e.Recurring, Amount: moneyOf(e.Amount), DueDay: e.DueDay, Instrument: e.Instrument,
	}
	if e.ProviderID != nil {
		d.AutopayID = e.ProviderID.String()
	}
	return d
}

// announceChange reads enrolment before.ID again inside tx, after the caller changed it, and
// writes autopay.cancelled or autopay.updated when what the merchant sees of it differs
// from before (what PlacetoPay's status messages say alone is no change). A cancelled
// enrolment is over: what PlacetoPay reports of it afterwards is announced only if it is
// another status.
func (s *Store) announceChange(ctx context.Context, tx pgx.Tx, before *Enrolment) error {
	after, err := s.get(ctx, tx, before.ID, false)
	if err != nil {
		return err
	}
	was, now := dataOf(before), dataOf(after)
	if reflect.DeepEqual(was, now) || (was.Status == StatusCancelled && now.Status == StatusCancelled) {
		return nil
	}
	now.PreviousStatus = before.Status
	typ := EventTypeUpdated
	if now.Status == StatusCancelled {
		typ = EventTypeCancelled
	}
	return insertEvent(ctx, tx, typ, after.ID, now)
}

// chargeEventData is the data of autopay.charged and autopay.failed.
type chargeEventData struct {
	EnrolmentID uuid.UUID  `json:"enrolmentId"`
	AutopayID   string     `json:"autopayId"`
	Reference   string     `json:"reference"`
	Charge      chargeData `json:"charge"`
}

type chargeData struct {
	InternalReference int64      `json:"internalReference"`
	Status            string     `json:"status"`
	ProviderStatus    string     `json:"providerStatus,omitempty"`
	Reason            string     `json:"reason,omitempty"`
	Amount            *moneyData `json:"amount,omitempty"`
	Authorization     string     `json:"authorization,omitempty"`
	Receipt           string     `json:"receipt,omitempty"`
	Source            string     `json:"source"`
}

// announceCharge writes autopay.charged or autopay.failed for charge ref of PlacetoPay's
// autopay pid, just decided inside tx. A charge of an autopay no enrolment is linked to has
// nobody to tell: it is recorded, and announced by nothing.
func (s *Store) announceCharge(ctx context.Context, tx pgx.Tx, pid uuid.UUID, ref int64) error {
	e, err := s.byProviderID(ctx, tx, pid, false)
	if err != nil || e == nil {
		return err
	}
	c, err := scanCharge(tx.QueryRow(ctx, `SELECT `+chargeColumns+` FROM autopay_charges WHERE internal_reference = $1`, ref))
	if err != nil {
		return fmt.Errorf("autopay: charge %d: %w", ref, err)
	}
	typ := EventTypeCharged
	switch c.Status {
	case ChargeApproved, ChargeReview:
	case ChargeFailed:
		typ = EventTypeFailed
	default:
		return errors.New("autopay: only a decided charge is announced")
	}
	return insertEvent(ctx, tx, typ, e.ID, chargeEventData{
		EnrolmentID: e.ID, AutopayID: pid.String(), Reference: e.Reference,
		Charge: chargeData{
			InternalReference: c.InternalReference, Status: c.Status, ProviderStatus: c.ProviderStatus, Reason: c.ProviderReason,
			Amount: moneyOf(c.Amount), Authorization: c.Authorization, Receipt: c.Receipt, Source: c.Source,
		},
	})
}

// insertEvent writes an event about enrolment id into the outbox, inside tx.
func insertEvent(ctx context.Context, tx pgx.Tx, typ string, id uuid.UUID, data any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO events (id, type, autopay_id, data) VALUES ($1, $2, $3, $4)`,
		uuid.Must(uuid.NewV7()), typ, id, b)
	return err
}
