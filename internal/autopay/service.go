package autopay

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/orders"
	pp "github.com/placetopay-gateway/gateway/internal/placetopay"
)

// Client is the part of the PlacetoPay client autopay needs; *placetopay.Client has it.
type Client interface {
	CreateAutopaySession(ctx context.Context, req pp.CreateSessionRequest) (*pp.CreateSessionResponse, error)
	QueryAutopaySession(ctx context.Context, requestID int64) (*pp.SessionInformation, error)
	SearchAutopay(ctx context.Context, req pp.AutopaySearchRequest) (*pp.AutopaySearchResponse, error)
	CancelAutopay(ctx context.Context, req pp.AutopayCancelRequest) (*pp.AutopayCancelResponse, error)
	AutopayTransactions(ctx context.Context, req pp.AutopayTransactionsRequest) (*pp.AutopayTransactionsResponse, error)
}

var _ Client = (*pp.Client)(nil)

// Service is the autopay use cases.
type Service struct {
	store  *Store
	client Client
	secret string // the site's secretKey: autopay webhook signatures
	now    func() time.Time
	log    *zap.Logger
}

// NewService returns a Service. secretKey is the PlacetoPay site's secret, which signs
// autopay webhooks.
func NewService(store *Store, client Client, secretKey string, log *zap.Logger) *Service {
	if store == nil || client == nil || secretKey == "" || log == nil {
		panic("autopay: NewService needs a store, a client, the secret key and a logger")
	}
	return &Service{store: store, client: client, secret: secretKey, now: time.Now, log: log}
}

// Opened is the answer to a create or an edit: the session the shopper completes.
type Opened struct {
	Enrolment  *Enrolment
	RequestID  int64
	ProcessURL string
}

// Create validates p, records the enrolment and opens its autopay session at PlacetoPay.
// Nothing is sent to PlacetoPay when p breaks a rule.
func (s *Service) Create(ctx context.Context, p CreateParams) (*Opened, error) {
	if err := validateReference(p.Reference); err != nil {
		return nil, err
	}
	if err := validateTerms(p.Terms, s.now()); err != nil {
		return nil, err
	}
	if err := validateReturnURL(p.ReturnURL); err != nil {
		return nil, err
	}
	e := &Enrolment{
		ID: uuid.New(), Reference: p.Reference, Description: p.Description, Recurring: *p.Recurring,
		Amount: p.Amount, Buyer: p.Buyer, ReturnURL: p.ReturnURL, Status: StatusPending,
	}
	if p.DueDay != nil {
		e.DueDay = *p.DueDay
	}
	if err := s.store.insert(ctx, e); err != nil {
		return nil, fmt.Errorf("autopay: insert: %w", err)
	}
	req := sessionRequest("CREATE", "", e.Reference, p.Terms, p.ReturnURL, p.Locale, p.IPAddress, p.UserAgent)
	req.Buyer, req.Payer = toPerson(p.Buyer), toPerson(p.Payer)
	res, err := s.client.CreateAutopaySession(ctx, req)
	if err != nil {
		if derr := s.store.deleteUnopened(context.WithoutCancel(ctx), e.ID); derr != nil {
			s.log.Error("delete unopened autopay", zap.Error(derr))
		}
		return nil, s.providerFailure("open the autopay session", err)
	}
	if err := s.store.insertSession(context.WithoutCancel(ctx), e.ID, int64(res.RequestID), "CREATE", res.ProcessURL); err != nil {
		return nil, fmt.Errorf("autopay: record session %d: %w", res.RequestID, err)
	}
	return &Opened{Enrolment: e, RequestID: int64(res.RequestID), ProcessURL: res.ProcessURL}, nil
}

// Edit opens an EDIT session for an active enrolment: the payer confirms the new terms on
// PlacetoPay's page, and the enrolment takes them once PlacetoPay reports them.
func (s *Service) Edit(ctx context.Context, id uuid.UUID, p EditParams) (*Opened, error) {
	e, err := s.store.get(ctx, s.store.pool, id, false)
	if err != nil {
		return nil, err
	}
	if e.Status != StatusActive || e.ProviderID == nil {
		return nil, orders.Errorf(orders.EConflict, "autopay %s is %s: only an active autopay can be edited", id, e.Status)
	}
	t := Terms{Description: e.Description, Recurring: &e.Recurring, Amount: e.Amount}
	if e.DueDay != 0 {
		t.DueDay = &e.DueDay
	}
	if p.Description != "" {
		t.Description = p.Description
	}
	if p.DueDay != nil {
		t.DueDay = p.DueDay
	}
	if p.Recurring != nil {
		t.Recurring = p.Recurring
		if p.Recurring.Type != ChargeFixed {
			t.Amount = nil
		}
	}
	if p.Amount != nil {
		t.Amount = p.Amount
	}
	if err := validateTerms(t, s.now()); err != nil {
		return nil, err
	}
	returnURL := e.ReturnURL
	if p.ReturnURL != "" {
		if err := validateReturnURL(p.ReturnURL); err != nil {
			return nil, err
		}
		returnURL = p.ReturnURL
	}
	req := sessionRequest("EDIT", e.ProviderID.String(), e.Reference, t, returnURL, p.Locale, p.IPAddress, p.UserAgent)
	res, err := s.client.CreateAutopaySession(ctx, req)
	if err != nil {
		return nil, s.providerFailure("open the autopay edit session", err)
	}
	if err := s.store.insertSession(context.WithoutCancel(ctx), e.ID, int64(res.RequestID), "EDIT", res.ProcessURL); err != nil {
		return nil, fmt.Errorf("autopay: record session %d: %w", res.RequestID, err)
	}
	return &Opened{Enrolment: e, RequestID: int64(res.RequestID), ProcessURL: res.ProcessURL}, nil
}

// Get returns enrolment id with its sessions and charges; refresh first asks PlacetoPay.
func (s *Service) Get(ctx context.Context, id uuid.UUID, refresh bool) (*Enrolment, error) {
	if refresh {
		if err := s.Refresh(ctx, id); err != nil {
			return nil, err
		}
	}
	e, err := s.store.get(ctx, s.store.pool, id, false)
	if err != nil {
		return nil, err
	}
	if err := s.store.withDetails(ctx, e); err != nil {
		return nil, fmt.Errorf("autopay: load %s: %w", id, err)
	}
	return e, nil
}

// List returns enrolments, newest first.
func (s *Service) List(ctx context.Context, p ListParams) ([]Enrolment, error) {
	switch p.Status {
	case "", StatusPending, StatusActive, StatusCancelled, StatusCompleted, StatusFailed, StatusExpired:
	default:
		return nil, invalid("status", "must be pending, active, cancelled, completed, failed or expired")
	}
	if len(p.Reference) > 32 {
		return nil, invalid("reference", "at most 32 characters")
	}
	return s.store.list(ctx, p)
}

// Refresh asks PlacetoPay about enrolment id: its open sessions, then the autopay itself.
func (s *Service) Refresh(ctx context.Context, id uuid.UUID) error {
	sessions, err := s.store.pendingSessions(ctx, id)
	if err != nil {
		return fmt.Errorf("autopay: sessions of %s: %w", id, err)
	}
	for _, x := range sessions {
		if err := s.syncSession(ctx, x.RequestID); err != nil {
			return err
		}
	}
	e, err := s.store.get(ctx, s.store.pool, id, false)
	if err != nil {
		return err
	}
	if e.ProviderID == nil {
		return nil
	}
	return s.Reconcile(ctx, *e.ProviderID)
}

// Cancel cancels an active enrolment at PlacetoPay, then records what PlacetoPay reports.
func (s *Service) Cancel(ctx context.Context, id uuid.UUID) (*Enrolment, error) {
	e, err := s.store.get(ctx, s.store.pool, id, false)
	if err != nil {
		return nil, err
	}
	if e.ProviderID == nil || e.Status != StatusActive {
		if e.Status == StatusCancelled {
			return s.Get(ctx, id, false)
		}
		return nil, orders.Errorf(orders.EConflict, "autopay %s is %s: only an active autopay can be cancelled", id, e.Status)
	}
	_, cerr := s.client.CancelAutopay(ctx, pp.AutopayCancelRequest{ID: e.ProviderID.String()})
	var api *pp.APIError
	if cerr != nil && !(errors.As(cerr, &api) && !api.Temporary() && api.HTTPStatus != 401) {
		return nil, s.providerFailure("cancel the autopay", cerr)
	}
	// Whether PlacetoPay cancelled it now or refused because it no longer was active, its
	// own answer to a search is what the enrolment records.
	if err := s.Reconcile(ctx, *e.ProviderID); err != nil {
		return nil, err
	}
	e, err = s.Get(ctx, id, false)
	if err != nil {
		return nil, err
	}
	if cerr != nil && e.Status == StatusActive {
		return nil, s.providerFailure("cancel the autopay", cerr)
	}
	return e, nil
}

// syncSession queries autopay session requestID and applies what it shows: the autopay it
// created or edited, or the end of a session completed by nobody.
func (s *Service) syncSession(ctx context.Context, requestID int64) error {
	info, err := s.client.QueryAutopaySession(ctx, requestID)
	if err != nil {
		return s.providerFailure(fmt.Sprintf("query autopay session %d", requestID), err)
	}
	list, err := info.Autopays()
	if err != nil {
		return s.providerFailure(fmt.Sprintf("query autopay session %d", requestID), err)
	}
	enrolID, action, err := s.store.sessionOwner(ctx, s.store.pool, requestID)
	if err != nil {
		return fmt.Errorf("autopay: session %d: %w", requestID, err)
	}
	now := s.now()
	return s.store.inTx(ctx, func(tx pgx.Tx) error {
		e, err := s.store.get(ctx, tx, enrolID, true)
		if err != nil {
			return err
		}
		st := info.Status.Status
		if st != pp.StatusPending {
			if err := s.store.setSessionStatus(ctx, tx, requestID, st, string(info.Status.Reason)); err != nil {
				return err
			}
		}
		for _, a := range list {
			pid, err := uuid.Parse(a.ID)
			if err != nil || (e.ProviderID != nil && *e.ProviderID != pid) {
				continue
			}
			return s.store.applyView(ctx, tx, e, pid, viewOf(a), now)
		}
		if st != pp.StatusPending && action == "CREATE" && e.Status == StatusPending && e.ProviderID == nil {
			_, err := tx.Exec(ctx, `UPDATE autopays SET status = 'expired', provider_status = $2, provider_reason = $3,
				provider_message = $4, last_checked_at = $5, updated_at = $5 WHERE id = $1 AND status = 'pending'`,
				e.ID, st, nullable(string(info.Status.Reason)), nullable(string(info.Status.Message)), now)
			if err != nil {
				return err
			}
			return s.store.announceChange(ctx, tx, e)
		}
		return nil
	})
}

// Reconcile searches PlacetoPay for autopay pid and applies what it reports to its
// enrolment, linking the enrolment first when the gateway does not know pid yet (through a
// query of the enrolment's own session: never from a notification's word alone).
func (s *Service) Reconcile(ctx context.Context, pid uuid.UUID) error {
	res, err := s.client.SearchAutopay(ctx, pp.AutopaySearchRequest{Filters: &pp.AutopaySearchFilters{ID: pid.String()}})
	if err != nil {
		return s.providerFailure("search autopay", err)
	}
	var found *pp.Autopay
	for i := range res.Data {
		if res.Data[i].ID == pid.String() {
			found = &res.Data[i]
		}
	}
	if found == nil {
		return orders.Errorf(orders.ENotFound, "PlacetoPay has no autopay %s", pid)
	}
	e, err := s.store.byProviderID(ctx, s.store.pool, pid, false)
	if err != nil {
		return fmt.Errorf("autopay: by provider id: %w", err)
	}
	if e == nil {
		if err := s.link(ctx, pid, found); err != nil {
			return err
		}
	}
	now := s.now()
	var enrolID uuid.UUID
	err = s.store.inTx(ctx, func(tx pgx.Tx) error {
		e, err := s.store.byProviderID(ctx, tx, pid, true)
		if err != nil || e == nil {
			return err
		}
		enrolID = e.ID
		return s.store.applyView(ctx, tx, e, pid, viewOf(*found), now)
	})
	if err != nil || enrolID == uuid.Nil {
		return err
	}
	// An edit PlacetoPay applied has a session still marked pending here: settle it too.
	sessions, err := s.store.pendingSessions(ctx, enrolID)
	if err != nil {
		return fmt.Errorf("autopay: sessions of %s: %w", enrolID, err)
	}
	for _, x := range sessions {
		if err := s.syncSession(ctx, x.RequestID); err != nil {
			return err
		}
	}
	return nil
}

// link finds the enrolment autopay a came from by querying the pending sessions that could
// have created it.
func (s *Service) link(ctx context.Context, pid uuid.UUID, a *pp.Autopay) error {
	ref := ""
	if a.Subscription != nil {
		ref = string(a.Subscription.Reference)
	}
	ids, err := s.store.candidateSessions(ctx, ref)
	if err != nil {
		return fmt.Errorf("autopay: candidate sessions: %w", err)
	}
	for _, requestID := range ids {
		if err := s.syncSession(ctx, requestID); err != nil {
			return err
		}
		if e, err := s.store.byProviderID(ctx, s.store.pool, pid, false); err != nil || e != nil {
			return err
		}
	}
	s.log.Warn("autopay reported by PlacetoPay matches no enrolment", zap.String("autopayId", pid.String()))
	return nil
}

// providerFailure turns a PlacetoPay failure into a domain error; it is logged once here.
func (s *Service) providerFailure(what string, err error) error {
	var v *pp.ValidationError
	var api *pp.APIError
	switch {
	case errors.As(err, &v):
		return &orders.Error{Code: orders.EInvalid, Field: v.Field, Message: "PlacetoPay would refuse it: " + v.Rule}
	case errors.As(err, &api) && !api.Temporary() && api.HTTPStatus != 401:
		return orders.Errorf(orders.EInvalid, "PlacetoPay refused to %s: %s: %s", what, api.Reason(), string(api.Status.Message))
	case errors.As(err, &api):
		s.log.Warn("PlacetoPay failed", zap.String("operation", what), zap.Int("httpStatus", api.HTTPStatus))
		return orders.Errorf(orders.EUnavailable, "PlacetoPay failed to %s (HTTP %d); retry later", what, api.HTTPStatus)
	}
	var oe *orders.Error
	if errors.As(err, &oe) {
		return oe
	}
	s.log.Warn("PlacetoPay did not answer", zap.String("operation", what), zap.Error(err))
	return orders.Errorf(orders.EUnavailable, "PlacetoPay did not answer to %s; retry later", what)
}
