package autopay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/placetopay-gateway/gateway/internal/orders"
)

// querier is a pool or a transaction: every query runs inside or outside one.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Store keeps enrolments, their sessions and charges in Postgres.
type Store struct {
	pool *pgxpool.Pool
}

// NewStore returns a Store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// inTx runs fn in one transaction.
func (s *Store) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, fn)
}

const enrolmentColumns = `id, reference, description, charge_type, currency, amount_minor, due_day, recurring,
	buyer, return_url, status, provider_id, provider_status, provider_reason, provider_message, instrument,
	created_at, updated_at`

func scanEnrolment(row pgx.Row) (*Enrolment, error) {
	var (
		e                               Enrolment
		chargeType                      string
		currency                        *string
		amount                          *int64
		dueDay                          *int32
		recurring, buyer, instrument    []byte
		provStatus, provReason, provMsg *string
	)
	err := row.Scan(&e.ID, &e.Reference, &e.Description, &chargeType, &currency, &amount, &dueDay, &recurring,
		&buyer, &e.ReturnURL, &e.Status, &e.ProviderID, &provStatus, &provReason, &provMsg, &instrument,
		&e.CreatedAt, &e.UpdatedAt)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(recurring, &e.Recurring); err != nil {
		return nil, fmt.Errorf("autopay %s: recurring: %w", e.ID, err)
	}
	e.Recurring.Type = chargeType
	if amount != nil && currency != nil {
		m, err := orders.NewMoney(*amount, *currency)
		if err != nil {
			return nil, fmt.Errorf("autopay %s: amount: %w", e.ID, err)
		}
		e.Amount = &m
	}
	if dueDay != nil {
		e.DueDay = int(*dueDay)
	}
	if len(buyer) > 0 {
		e.Buyer = new(orders.Person)
		if err := json.Unmarshal(buyer, e.Buyer); err != nil {
			return nil, fmt.Errorf("autopay %s: buyer: %w", e.ID, err)
		}
	}
	if len(instrument) > 0 {
		e.Instrument = new(Instrument)
		if err := json.Unmarshal(instrument, e.Instrument); err != nil {
			return nil, fmt.Errorf("autopay %s: instrument: %w", e.ID, err)
		}
	}
	e.ProviderStatus, e.ProviderReason, e.ProviderMessage = deref(provStatus), deref(provReason), deref(provMsg)
	return &e, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func jsonOrNil(v any) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	return json.Marshal(v)
}

func amountColumns(m *orders.Money) (*string, *int64) {
	if m == nil {
		return nil, nil
	}
	return &m.Currency, &m.Minor
}

func (s *Store) insert(ctx context.Context, e *Enrolment) error {
	rec, err := json.Marshal(e.Recurring)
	if err != nil {
		return err
	}
	buyer, err := jsonOrNil(e.Buyer)
	if err != nil {
		return err
	}
	if e.Buyer == nil {
		buyer = nil
	}
	cur, minor := amountColumns(e.Amount)
	var dueDay *int
	if e.DueDay != 0 {
		dueDay = &e.DueDay
	}
	row := s.pool.QueryRow(ctx, `INSERT INTO autopays (id, reference, description, charge_type, currency, amount_minor,
		due_day, recurring, buyer, return_url) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		RETURNING created_at, updated_at`,
		e.ID, e.Reference, e.Description, e.Recurring.Type, cur, minor, dueDay, rec, buyer, e.ReturnURL)
	return row.Scan(&e.CreatedAt, &e.UpdatedAt)
}

// deleteUnopened removes an enrolment whose session PlacetoPay did not open: nobody received
// a processUrl, so nothing can complete it.
func (s *Store) deleteUnopened(ctx context.Context, id uuid.UUID) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM autopays a WHERE id = $1
		AND NOT EXISTS (SELECT 1 FROM autopay_sessions s WHERE s.autopay_id = a.id)`, id)
	return err
}

func (s *Store) insertSession(ctx context.Context, autopayID uuid.UUID, requestID int64, action, processURL string) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO autopay_sessions (request_id, autopay_id, action, process_url)
		VALUES ($1, $2, $3, $4)`, requestID, autopayID, action, processURL)
	return err
}

// get returns enrolment id, locked FOR UPDATE when q is a transaction and lock is set.
func (s *Store) get(ctx context.Context, q querier, id uuid.UUID, lock bool) (*Enrolment, error) {
	sql := `SELECT ` + enrolmentColumns + ` FROM autopays WHERE id = $1`
	if lock {
		sql += ` FOR UPDATE`
	}
	e, err := scanEnrolment(q.QueryRow(ctx, sql, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, orders.Errorf(orders.ENotFound, "autopay %s not found", id)
	}
	return e, err
}

// byProviderID returns the enrolment of PlacetoPay's autopay pid, or nil.
func (s *Store) byProviderID(ctx context.Context, q querier, pid uuid.UUID, lock bool) (*Enrolment, error) {
	sql := `SELECT ` + enrolmentColumns + ` FROM autopays WHERE provider_id = $1`
	if lock {
		sql += ` FOR UPDATE`
	}
	e, err := scanEnrolment(q.QueryRow(ctx, sql, pid))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	return e, err
}

// withDetails loads e's sessions and charges.
func (s *Store) withDetails(ctx context.Context, e *Enrolment) error {
	rows, err := s.pool.Query(ctx, `SELECT request_id, action, process_url, status, coalesce(reason, ''), created_at
		FROM autopay_sessions WHERE autopay_id = $1 ORDER BY created_at, request_id`, e.ID)
	if err != nil {
		return err
	}
	e.Sessions, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Session, error) {
		var x Session
		err := r.Scan(&x.RequestID, &x.Action, &x.ProcessURL, &x.Status, &x.Reason, &x.CreatedAt)
		return x, err
	})
	if err != nil {
		return err
	}
	e.Charges = []Charge{}
	if e.ProviderID == nil {
		return nil
	}
	rows, err = s.pool.Query(ctx, `SELECT `+chargeColumns+`
		FROM autopay_charges WHERE provider_autopay_id = $1 ORDER BY created_at, internal_reference`, *e.ProviderID)
	if err != nil {
		return err
	}
	e.Charges, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Charge, error) { return scanCharge(r) })
	return err
}

const chargeColumns = `internal_reference, status, coalesce(provider_status, ''), coalesce(provider_reason, ''),
	currency, amount_minor, coalesce(authorization_code, ''), coalesce(receipt, ''), coalesce(franchise, ''),
	coalesce(payment_method, ''), source, deliveries, verified_at, created_at`

func scanCharge(row pgx.Row) (Charge, error) {
	var (
		c        Charge
		currency *string
		minor    *int64
	)
	err := row.Scan(&c.InternalReference, &c.Status, &c.ProviderStatus, &c.ProviderReason, &currency, &minor,
		&c.Authorization, &c.Receipt, &c.Franchise, &c.PaymentMethod, &c.Source, &c.Deliveries, &c.VerifiedAt, &c.CreatedAt)
	if err == nil && currency != nil && minor != nil {
		if m, merr := orders.NewMoney(*minor, *currency); merr == nil {
			c.Amount = &m
		}
	}
	return c, err
}

// ListParams filter a list of enrolments.
type ListParams struct {
	Reference string
	Status    Status
	Limit     int
}

func (s *Store) list(ctx context.Context, p ListParams) ([]Enrolment, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+enrolmentColumns+` FROM autopays
		WHERE ($1 = '' OR reference = $1) AND ($2 = '' OR status = $2)
		ORDER BY created_at DESC, id DESC LIMIT $3`, p.Reference, string(p.Status), p.Limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Enrolment{}
	for rows.Next() {
		e, err := scanEnrolment(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *e)
	}
	return out, rows.Err()
}

// pendingSessions lists the sessions of enrolment id still PENDING, newest first.
func (s *Store) pendingSessions(ctx context.Context, id uuid.UUID) ([]Session, error) {
	rows, err := s.pool.Query(ctx, `SELECT request_id, action, process_url, status, coalesce(reason, ''), created_at
		FROM autopay_sessions WHERE autopay_id = $1 AND status = 'PENDING' ORDER BY created_at DESC`, id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Session, error) {
		var x Session
		err := r.Scan(&x.RequestID, &x.Action, &x.ProcessURL, &x.Status, &x.Reason, &x.CreatedAt)
		return x, err
	})
}

// candidateSessions lists the pending CREATE sessions of enrolments with reference that do
// not know their PlacetoPay id yet: where an autopay PlacetoPay reports may come from.
func (s *Store) candidateSessions(ctx context.Context, reference string) ([]int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT s.request_id FROM autopay_sessions s JOIN autopays a ON a.id = s.autopay_id
		WHERE a.reference = $1 AND a.provider_id IS NULL AND s.action = 'CREATE' AND s.status = 'PENDING'
		ORDER BY s.created_at DESC LIMIT 10`, reference)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

// sessionOwner returns the enrolment id and action of session requestID.
func (s *Store) sessionOwner(ctx context.Context, q querier, requestID int64) (uuid.UUID, string, error) {
	var id uuid.UUID
	var action string
	err := q.QueryRow(ctx, `SELECT autopay_id, action FROM autopay_sessions WHERE request_id = $1`, requestID).Scan(&id, &action)
	return id, action, err
}

func (s *Store) setSessionStatus(ctx context.Context, q querier, requestID int64, status, reason string) error {
	_, err := q.Exec(ctx, `UPDATE autopay_sessions SET status = $2, reason = $3, updated_at = now()
		WHERE request_id = $1 AND status = 'PENDING'`, requestID, status, nullable(reason))
	return err
}

// providerView is what PlacetoPay reports of an autopay, already turned into domain values.
type providerView struct {
	Status                 Status
	ProviderStatus, Reason string
	Message                string
	Description            string
	Recurring              *Recurring
	Amount                 *orders.Money
	DueDay                 int
	Instrument             *Instrument
}

// applyView writes v onto enrolment e (already locked by the caller's transaction), and the
// event that announces the change, if it is one.
func (s *Store) applyView(ctx context.Context, tx pgx.Tx, e *Enrolment, pid uuid.UUID, v providerView, now time.Time) error {
	inst, err := jsonOrNil(v.Instrument)
	if err != nil {
		return err
	}
	if v.Instrument == nil {
		inst = nil
	}
	desc := e.Description
	if v.Description != "" {
		desc = v.Description
	}
	rec := e.Recurring
	if v.Recurring != nil && v.Recurring.Type != "" {
		rec = *v.Recurring
	}
	recJSON, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	amount := e.Amount
	if rec.Type != ChargeFixed {
		amount = nil
	} else if v.Amount != nil {
		amount = v.Amount
	}
	cur, minor := amountColumns(amount)
	var dueDay *int
	if d := v.DueDay; d >= 1 && d <= 28 {
		dueDay = &d
	} else if e.DueDay != 0 {
		dueDay = &e.DueDay
	}
	status := e.Status
	if v.Status != "" {
		status = v.Status
	}
	_, err = tx.Exec(ctx, `UPDATE autopays SET provider_id = $2, status = $3, provider_status = $4, provider_reason = $5,
		provider_message = $6, description = $7, charge_type = $8, recurring = $9, currency = $10, amount_minor = $11,
		due_day = $12, instrument = coalesce($13, instrument), last_checked_at = $14, updated_at = $14
		WHERE id = $1 AND (provider_id IS NULL OR provider_id = $2)`,
		e.ID, pid, string(status), nullable(v.ProviderStatus), nullable(v.Reason), nullable(v.Message), desc,
		rec.Type, recJSON, cur, minor, dueDay, inst, now)
	if err != nil {
		return err
	}
	return s.announceChange(ctx, tx, e)
}
