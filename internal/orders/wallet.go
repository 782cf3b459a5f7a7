package orders

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/orders/ordersdb"
)

// Sealer encrypts card tokens for storage, bound to the row they belong to, and names the
// key it used so that keys can be rotated. internal/tokens satisfies it.
type Sealer interface {
	Seal(plaintext, aad []byte) (keyID string, sealed []byte, err error)
	Open(keyID string, sealed, aad []byte) ([]byte, error)
}

// TokenProvider is what stored payment methods need from PlacetoPay besides sessions.
// internal/placetopay satisfies it.
type TokenProvider interface {
	// Collect charges a token (POST /api/collect). Its error is a *ProviderError when
	// PlacetoPay answered; anything else means the outcome is unknown.
	Collect(ctx context.Context, c CollectRequest) (CollectResult, error)
	// InvalidateToken retires a token at PlacetoPay. An already invalid token is a refusing
	// *ProviderError with reason XN.
	InvalidateToken(ctx context.Context, token string) error
}

// CollectRequest is one charge of a stored token.
type CollectRequest struct {
	Reference    string
	Description  string
	Amount       Money
	Token        string
	Installments int
	Payer        Person
	IPAddress    string
	UserAgent    string
}

// CollectResult is PlacetoPay's first answer to a collect. The gateway records RequestID and
// then queries it, like a session.
type CollectResult struct {
	RequestID int64
	Status    string
	Reason    string
	Message   string
}

// ProviderInstrument is a tokenized means of payment PlacetoPay reported for a session
// (the subscription object, or a subscribe payment's processor fields). Its String never
// shows the token.
type ProviderInstrument struct {
	Token, Subtoken          string
	Franchise, FranchiseName string
	IssuerName, LastDigits   string
	ValidUntil               string
	Installments             int
}

func (i ProviderInstrument) String() string {
	return "ProviderInstrument{" + i.Franchise + " ****" + i.LastDigits + "}"
}

// GoString hides the token from %#v too.
func (i ProviderInstrument) GoString() string { return i.String() }

// PaymentMethod is a stored card of a customer, as the merchant API shows it: never its token.
type PaymentMethod struct {
	ID                uuid.UUID
	CustomerReference string
	Franchise         string
	FranchiseName     string
	IssuerName        string
	LastDigits        string
	ValidUntil        string
	OrderID           uuid.UUID
	CreatedAt         time.Time
}

// Wallet keeps customers' payment methods: it stores the instruments PlacetoPay reports,
// lists and deletes them, and charges them (Charge).
type Wallet struct {
	payments *Payments
	provider TokenProvider
	sealer   Sealer
	log      *zap.Logger
}

// NewWallet returns the wallet on p and attaches it, so that p's reconciliation stores the
// instruments of subscription and subscribe sessions. Call it before serving.
func NewWallet(p *Payments, provider TokenProvider, sealer Sealer, log *zap.Logger) *Wallet {
	if p == nil || provider == nil || sealer == nil || log == nil {
		panic("orders: NewWallet needs payments, a token provider, a sealer and a logger")
	}
	w := &Wallet{payments: p, provider: provider, sealer: sealer, log: log}
	p.wallet = w
	return w
}

var customerRefRE = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

// ValidateCustomerReference checks a merchant's customer reference: 1 to 64 letters,
// digits, '.', '_', ':' or '-'. It is an opaque id, never personal data such as an email.
func ValidateCustomerReference(field, ref string) error {
	if !customerRefRE.MatchString(ref) {
		return invalidField(field, "must be 1 to 64 letters, digits, '.', '_', ':' or '-'")
	}
	return nil
}

// sealAAD binds a sealed value to its payment method row and to what it is.
func sealAAD(id uuid.UUID, what string) []byte {
	return []byte("payment_method:" + id.String() + ":" + what)
}

// storeInstrument records the instrument an approved subscription or subscribe session
// reported, inside the reconciliation's transaction. Once per session.
func (w *Wallet) storeInstrument(ctx context.Context, tx pgx.Tx, o *Order, sess ordersdb.CheckoutSession, info ProviderSession) error {
	in := info.Instrument
	if in == nil || in.Token == "" || info.Status != "APPROVED" || sess.CustomerReference == nil {
		return nil
	}
	if sess.Kind != "subscription" && sess.Kind != "payment" {
		return nil
	}
	id := uuid.Must(uuid.NewV7())
	keyID, token, err := w.sealer.Seal([]byte(in.Token), sealAAD(id, "token"))
	if err != nil {
		return err
	}
	var subtoken []byte
	if in.Subtoken != "" {
		if _, subtoken, err = w.sealer.Seal([]byte(in.Subtoken), sealAAD(id, "subtoken")); err != nil {
			return err
		}
	}
	var installments *int32
	if in.Installments > 0 {
		installments = ptr(int32(in.Installments))
	}
	n, err := w.payments.store.q.InsertPaymentMethod(ctx, tx, ordersdb.InsertPaymentMethodParams{
		ID: id, CustomerReference: *sess.CustomerReference, KeyID: keyID, TokenSealed: token, SubtokenSealed: subtoken,
		Type: "token", Franchise: nullable(in.Franchise), FranchiseName: nullable(in.FranchiseName),
		IssuerName: nullable(in.IssuerName), LastDigits: nullable(lastDigits(in.LastDigits)),
		ValidUntil: nullable(in.ValidUntil), Installments: installments, SessionID: sess.ID, OrderID: o.ID,
	})
	if err != nil {
		return fmt.Errorf("store payment method: %w", err)
	}
	if n == 1 {
		w.log.Info("payment method stored", zap.String("paymentMethod", id.String()), zap.String("order", o.ID.String()))
	}
	return nil
}

// List returns a customer's payment methods, newest first.
func (w *Wallet) List(ctx context.Context, customerRef string) ([]PaymentMethod, error) {
	if err := ValidateCustomerReference("customerReference", customerRef); err != nil {
		return nil, err
	}
	rows, err := w.payments.store.q.ListPaymentMethods(ctx, w.payments.store.pool, customerRef)
	if err != nil {
		return nil, fmt.Errorf("orders: list payment methods: %w", err)
	}
	out := make([]PaymentMethod, 0, len(rows))
	for _, r := range rows {
		out = append(out, paymentMethodFromRow(r))
	}
	return out, nil
}

func paymentMethodFromRow(r ordersdb.PaymentMethod) PaymentMethod {
	return PaymentMethod{
		ID: r.ID, CustomerReference: r.CustomerReference, Franchise: deref(r.Franchise), FranchiseName: deref(r.FranchiseName),
		IssuerName: deref(r.IssuerName), LastDigits: deref(r.LastDigits), ValidUntil: deref(r.ValidUntil),
		OrderID: r.OrderID, CreatedAt: r.CreatedAt,
	}
}

// getToken loads a live payment method of the customer and decrypts its token.
func (w *Wallet) getToken(ctx context.Context, q ordersdb.DBTX, id uuid.UUID, customerRef string, forUpdate bool) (ordersdb.PaymentMethod, string, error) {
	var (
		row ordersdb.PaymentMethod
		err error
	)
	args := ordersdb.GetPaymentMethodParams{ID: id, CustomerReference: customerRef}
	if forUpdate {
		row, err = w.payments.store.q.GetPaymentMethodForUpdate(ctx, q, ordersdb.GetPaymentMethodForUpdateParams(args))
	} else {
		row, err = w.payments.store.q.GetPaymentMethod(ctx, q, args)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return row, "", &Error{Code: ENotFound, Field: "paymentMethodId", Message: fmt.Sprintf(
			"customer %s has no payment method %s", customerRef, id)}
	}
	if err != nil {
		return row, "", err
	}
	token, err := w.sealer.Open(row.KeyID, row.TokenSealed, sealAAD(row.ID, "token"))
	if err != nil {
		// Key lost (a development key that did not survive a restart) or rotated away.
		return row, "", Errorf(EConflict, "payment method %s cannot be decrypted with the configured GATEWAY_TOKEN_KEY (key %s)", id, row.KeyID)
	}
	return row, string(token), nil
}

// Delete invalidates the payment method's token at PlacetoPay, then deletes it here. A token
// PlacetoPay already considers invalid (XN) is deleted too; when PlacetoPay fails or does not
// answer, nothing is deleted (EUnavailable).
func (w *Wallet) Delete(ctx context.Context, customerRef string, id uuid.UUID) error {
	if err := ValidateCustomerReference("customerReference", customerRef); err != nil {
		return err
	}
	store := w.payments.store
	// The row lock holds concurrent deletes and charges of the same method back while
	// PlacetoPay is asked.
	return store.inTx(ctx, func(tx pgx.Tx) error {
		row, token, err := w.getToken(ctx, tx, id, customerRef, true)
		if err != nil && ErrorCode(err) != EConflict {
			return err
		}
		if token == "" {
			w.log.Warn("payment method deleted without invalidating its token: it cannot be decrypted", zap.String("paymentMethod", id.String()))
		} else {
			err := w.provider.InvalidateToken(ctx, token)
			var perr *ProviderError
			switch {
			case err == nil:
			case errors.As(err, &perr) && perr.Refused && perr.Reason == "XN":
				w.log.Info("payment method already invalid at PlacetoPay", zap.String("paymentMethod", id.String()))
			case errors.As(err, &perr) && perr.Refused:
				return Errorf(EInvalid, "PlacetoPay refused to invalidate the token: %s: %s", perr.Reason, perr.Message)
			default:
				w.log.Warn("invalidate token failed", zap.String("paymentMethod", id.String()), zap.Error(err))
				return Errorf(EUnavailable, "PlacetoPay did not invalidate the token; the payment method is kept, retry later")
			}
		}
		_, err = store.q.DeletePaymentMethod(ctx, tx, row.ID)
		return err
	})
}
