package orders

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"golang.org/x/sync/singleflight"

	"github.com/placetopay-gateway/gateway/internal/orders/ordersdb"
)

// PaymentsConfig tunes the money path.
type PaymentsConfig struct {
	PublicURL     string        // GATEWAY_PUBLIC_URL: sessions return to PublicURL/return/{orderId}
	ProbeInterval time.Duration // GATEWAY_PROBE_INTERVAL
	Clock         func() time.Time
	Registerer    prometheus.Registerer // receives the money path's metrics; none when nil
	// ConfirmationWindow is how long PlacetoPay waits for a PENDING_CONFIRMATION payment to
	// be confirmed (GATEWAY_CONFIRMATION_WINDOW; 30 minutes when zero).
	ConfirmationWindow time.Duration
}

// Payments opens PlacetoPay sessions for orders and applies what PlacetoPay says about them.
// An order becomes paid only from a session query made here, never from a notification body
// or a browser redirect.
type Payments struct {
	store    *Store
	provider Provider
	cfg      PaymentsConfig
	log      *zap.Logger
	flight   singleflight.Group // one provider query at a time per session, per process
	wake     chan struct{}
	metrics  *paymentMetrics
	wallet   *Wallet // stores the instruments sessions report; set by NewWallet

	// afterCreate, when set (tests), runs between PlacetoPay's answer and the database
	// write; an error stands for a crash at that point.
	afterCreate func(CreatedSession) error
}

// NewPayments returns the money path on store and provider.
func NewPayments(store *Store, provider Provider, cfg PaymentsConfig, log *zap.Logger) *Payments {
	if store == nil || provider == nil || log == nil || cfg.PublicURL == "" || cfg.ProbeInterval <= 0 {
		panic("orders: NewPayments needs a store, a provider, a logger, a public URL and a probe interval")
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	reg := cfg.Registerer
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	return &Payments{store: store, provider: provider, cfg: cfg, log: log, wake: make(chan struct{}, 1),
		metrics: newPaymentMetrics(reg)}
}

// CheckoutParams are the storefront's choices for a session.
type CheckoutParams struct {
	Locale        string
	PaymentMethod string
	ExpiresIn     time.Duration // 0 means 30 minutes; 5 minutes to 7 days
	Type          string        // "" for a payment, "checkin" for a preauthorization, "subscription" to store a card
	IPAddress     string
	UserAgent     string

	// Subscribe pays and keeps the card; CustomerReference (required with Subscribe and for
	// a subscription) is whom the stored card belongs to.
	Subscribe         bool
	CustomerReference string

	// RequiresConfirmation opens the session in PlacetoPay's confirmation flow.
	RequiresConfirmation bool

	// The session options (options.go): a partial payment, a dispersion, a recurrence.
	AllowPartial bool
	Dispersion   []DispersionPart
	Recurring    *Recurring
}

const (
	defaultExpiry = 30 * time.Minute
	minExpiry     = 5 * time.Minute
	maxExpiry     = 7 * 24 * time.Hour
	// staleAttempt is how long an attempt may stay unanswered before it is abandoned: well
	// over the PlacetoPay client's timeout.
	staleAttempt = 2 * time.Minute
	expiryMargin = 30 * time.Second
)

var localeRE = regexp.MustCompile(`^[a-z]{2}_[A-Z]{2}$`)

func (p *CheckoutParams) validate() error {
	switch {
	case p.ExpiresIn != 0 && (p.ExpiresIn < minExpiry || p.ExpiresIn > maxExpiry):
		return invalidField("expiresIn", "must be between 300 and 604800 seconds")
	case p.Type != "" && p.Type != "checkin" && p.Type != "subscription":
		return invalidField("type", "must be checkin, subscription or absent")
	case p.Subscribe && p.Type != "":
		return invalidField("subscribe", "applies to a payment only, not to a %s session", p.Type)
	case (p.Subscribe || p.Type == "subscription") && p.CustomerReference == "":
		return invalidField("customerReference", "is required to store a card")
	case p.CustomerReference != "" && !p.Subscribe && p.Type != "subscription":
		return invalidField("customerReference", "applies only with subscribe or a subscription session")
	case p.CustomerReference != "" && !customerRefRE.MatchString(p.CustomerReference):
		return invalidField("customerReference", "must be 1 to 64 letters, digits, '.', '_', ':' or '-'")
	case p.Locale != "" && !localeRE.MatchString(p.Locale):
		return invalidField("locale", "must look like es_CO or en_US")
	case len(p.PaymentMethod) > 255:
		return invalidField("paymentMethod", "is too long")
	case p.IPAddress == "" || len(p.IPAddress) > 46:
		return invalidField("ipAddress", "is required and at most 46 characters")
	}
	if err := p.validateCombination(); err != nil {
		return err
	}
	if len(p.UserAgent) > 255 {
		p.UserAgent = p.UserAgent[:255]
	}
	if p.UserAgent == "" {
		p.UserAgent = "unknown"
	}
	return nil
}

// Checkout opens a PlacetoPay session for the order, or returns the one still open. The
// attempt is written before PlacetoPay is called and completed after, so a crash in between
// leaves an attempt nobody received a processUrl for, which is abandoned later: never a
// second payable session, never an order stuck. created is false when an open session was
// returned.
func (p *Payments) Checkout(ctx context.Context, orderID uuid.UUID, cp CheckoutParams) (s Session, created bool, err error) {
	if err := cp.validate(); err != nil {
		return Session{}, false, err
	}
	now := p.cfg.Clock()
	expiry := cp.ExpiresIn
	if expiry == 0 {
		expiry = defaultExpiry
	}
	// PlacetoPay wants the expiration at least 5 minutes after it receives the request,
	// written to the second: the shortest session gets a margin for the trip.
	expiry = max(expiry, minExpiry+expiryMargin)
	var (
		o       Order
		attempt ordersdb.CheckoutSession
		open    *Session
	)
	err = p.store.inTx(ctx, func(tx pgx.Tx) error {
		row, err := p.store.q.GetOrderForUpdate(ctx, tx, orderID)
		if errors.Is(err, pgx.ErrNoRows) {
			return &Error{Code: ENotFound, Field: "id", Message: fmt.Sprintf("order %s does not exist", orderID)}
		}
		if err != nil {
			return err
		}
		if o, err = orderFromRow(row); err != nil {
			return err
		}
		// A partially paid order's open partial session is handed out again (the shopper pays
		// the rest on it); it never gets a new one (partial.go).
		if o.Status != StatusPending && o.Status != StatusFailed && o.Status != StatusPartiallyPaid {
			return Errorf(EConflict, "order %s is %s; a checkout needs a pending or failed order", o.ID, o.Status)
		}
		if err := p.refuseUnknownCollect(ctx, tx, o.ID, o.Status); err != nil {
			return err
		}
		if err := cp.validateOptions(&o, now); err != nil {
			return err
		}
		cur, err := p.store.q.GetOpenSession(ctx, tx, orderID)
		other := ""
		if err == nil && cur.Attempt == "open" && cur.ExpiresAt.After(now) {
			other = cp.otherOption(cur)
		}
		switch {
		case errors.Is(err, pgx.ErrNoRows):
		case err != nil:
			return err
		case other != "":
			return &Error{Code: EConflict, Field: other, Message: fmt.Sprintf("order %s has an open %s session opened with another %s until %s; "+
				"it is handed out again only to a checkout with the same type, subscribe, requiresConfirmation, customerReference, allowPartial, dispersion and recurring",
				o.ID, cur.Kind, other, cur.ExpiresAt.UTC().Format(time.RFC3339))}
		case cur.Attempt == "open" && cur.ExpiresAt.After(now):
			s := sessionFromRow(cur)
			open = &s
			return nil
		}
		if o.Status == StatusPartiallyPaid {
			return Errorf(EConflict, "order %s is partially_paid and its partial session has ended; no new session is opened for the rest: refund what was paid or settle it with the shopper", o.ID)
		}
		switch {
		case errors.Is(err, pgx.ErrNoRows):
		case cur.Attempt == "open":
			// Expired here: PlacetoPay refuses payments on it now. It leaves the open slot but
			// stays probed, so a payment still in flight on it is applied when it settles.
			if err := p.store.q.UpdateSessionState(ctx, tx, ordersdb.UpdateSessionStateParams{
				ID: cur.ID, Status: cur.Status, Reason: cur.Reason, Message: cur.Message,
				Attempt: "closed", NextCheckAt: ptr(now),
			}); err != nil {
				return err
			}
		case cur.CreatedAt.After(now.Add(-staleAttempt)):
			return busyf(5, "a checkout for order %s is being opened; retry in a few seconds", o.ID)
		default:
			if err := p.store.q.AbandonSession(ctx, tx, ordersdb.AbandonSessionParams{
				ID: cur.ID, Message: ptr("the attempt did not complete"),
			}); err != nil {
				return err
			}
		}
		opts := cp.optionsJSON()
		req, _ := json.Marshal(map[string]any{"locale": cp.Locale, "paymentMethod": cp.PaymentMethod, "type": cp.Type, "expiresIn": expiry.Seconds(),
			"subscribe": cp.Subscribe, "requiresConfirmation": cp.RequiresConfirmation,
			"allowPartial": opts.AllowPartial, "dispersion": opts.Dispersion, "recurring": opts.Recurring})
		kind := sessionKind(cp.Type)
		total := o.Amount.Minor
		if kind == "subscription" {
			total = 0 // a subscription session tokenizes a card and charges nothing
		}
		attempt, err = p.store.q.InsertSessionAttempt(ctx, tx, ordersdb.InsertSessionAttemptParams{
			ID: uuid.Must(uuid.NewV7()), OrderID: o.ID, Kind: kind, Currency: o.Amount.Currency,
			TotalMinor: total, AllowPartial: cp.AllowPartial, Request: req, ExpiresAt: now.Add(expiry).Truncate(time.Second),
		})
		if err == nil && cp.CustomerReference != "" {
			err = p.store.q.SetSessionCustomer(ctx, tx, ordersdb.SetSessionCustomerParams{ID: attempt.ID, CustomerReference: &cp.CustomerReference})
		}
		return err
	})
	if err != nil {
		return Session{}, false, p.wrap("checkout", orderID, err)
	}
	if open != nil {
		return *open, false, nil
	}

	cs, err := p.provider.CreateSession(ctx, SessionRequest{
		Reference: o.Reference, Description: o.Description, Amount: o.Amount, Buyer: o.Buyer, Items: o.Items,
		Kind: sessionKind(cp.Type), Subscribe: cp.Subscribe, Locale: cp.Locale, PaymentMethod: cp.PaymentMethod, ExpiresAt: attempt.ExpiresAt,
		ReturnURL: p.returnURL(o.ID), IPAddress: cp.IPAddress, UserAgent: cp.UserAgent,
		RequiresConfirmation: cp.RequiresConfirmation,
		AllowPartial:         cp.AllowPartial, Dispersion: cp.Dispersion, Recurring: cp.Recurring,
		RecurringNotificationURL: p.recurringNotificationURL(cp.Recurring),
	})
	if err != nil {
		return Session{}, false, p.createFailed(attempt.ID, err)
	}
	if p.afterCreate != nil {
		if err := p.afterCreate(cs); err != nil {
			return Session{}, false, err
		}
	}
	// PlacetoPay has answered: record it even if the storefront hangs up now.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	var row ordersdb.CheckoutSession
	orderMoved := false
	err = p.store.inTx(ctx, func(tx pgx.Tx) error {
		cur, err := p.store.q.GetOrderForUpdate(ctx, tx, o.ID)
		if err != nil {
			return err
		}
		if st := Status(cur.Status); st != StatusPending && st != StatusFailed {
			// The order was cancelled (or paid) while PlacetoPay opened the session: its
			// processUrl is never handed out, and the session is cancelled below.
			orderMoved = true
			return p.store.q.AbandonSession(ctx, tx, ordersdb.AbandonSessionParams{
				ID: attempt.ID, Message: ptr("the order became " + cur.Status + " while the session was opened"),
			})
		}
		if row, err = p.store.q.OpenSession(ctx, tx, ordersdb.OpenSessionParams{
			ID: attempt.ID, RequestID: &cs.RequestID, ProcessUrl: &cs.ProcessURL,
			NextCheckAt: ptr(p.cfg.Clock().Add(p.cfg.ProbeInterval)),
		}); err != nil {
			return err
		}
		if Status(cur.Status) == StatusFailed {
			o.Status = StatusFailed
			return p.store.transition(ctx, tx, &o, StatusPending, "a new checkout was opened", &attempt.ID)
		}
		return nil
	})
	if err != nil {
		return Session{}, false, p.wrap("checkout", orderID, err)
	}
	if orderMoved {
		if err := p.provider.CancelSession(ctx, cs.RequestID); err != nil {
			p.log.Warn("cancel a session opened for an order that moved on", zap.Int64("requestId", cs.RequestID), zap.Error(err))
		}
		return Session{}, false, Errorf(EConflict, "order %s changed while the session was being opened; no session was opened", orderID)
	}
	return sessionFromRow(row), true, nil
}

// createFailed settles an attempt PlacetoPay did not open. A refusal or an outage removes it
// (nothing changed); an unknown outcome (timeout) abandons it, since nobody received its
// processUrl.
func (p *Payments) createFailed(attemptID uuid.UUID, err error) error {
	ctx := context.Background()
	var perr *ProviderError
	if errors.As(err, &perr) {
		if derr := p.store.q.DeleteSessionAttempt(ctx, p.store.pool, attemptID); derr != nil {
			p.log.Error("delete failed checkout attempt", zap.Error(derr))
		}
		if perr.Refused {
			return &Error{Code: EInvalid, Message: fmt.Sprintf("PlacetoPay refused the session: %s: %s", perr.Reason, perr.Message)}
		}
		return Errorf(EUnavailable, "PlacetoPay failed (HTTP %d: %s); no session was opened, retry later", perr.HTTPStatus, perr.Message)
	}
	if aerr := p.store.q.AbandonSession(ctx, p.store.pool, ordersdb.AbandonSessionParams{
		ID: attemptID, Message: ptr("PlacetoPay did not answer"),
	}); aerr != nil {
		p.log.Error("abandon checkout attempt", zap.Error(aerr))
	}
	var verr *Error
	if errors.As(err, &verr) {
		return verr
	}
	p.log.Warn("PlacetoPay create session failed", zap.Error(err))
	return Errorf(EUnavailable, "PlacetoPay did not answer; no session was opened, retry later")
}

func (p *Payments) returnURL(orderID uuid.UUID) string {
	return p.cfg.PublicURL + "/return/" + url.PathEscape(orderID.String())
}

func (p *Payments) wrap(op string, id uuid.UUID, err error) error {
	if ErrorCode(err) != EInternal {
		return err
	}
	return fmt.Errorf("orders: %s %s: %w", op, id, err)
}

// sessionKind is the checkout_sessions kind of a checkout type.
func sessionKind(typ string) string {
	if typ == "checkin" || typ == "subscription" {
		return typ
	}
	return "payment"
}
