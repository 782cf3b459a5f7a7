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
	// Site is the PlacetoPay site whose session saved the card: its token works only there,
	// so its charges (and their orders) and its invalidation go there.
	Site string
}

// Wallet keeps customers' payment methods: it lists and deletes them, and charges them
// (Charge). The Reconciler stores the cards sessions tokenize (instruments.go).
type Wallet struct {
	store      *Store
	reconciler *Reconciler
	provider   TokenProvider
	sealer     Sealer
	cfg        Config
	log        *zap.Logger
}

// NewWallet returns the wallet on store: charges are queried with reconciler, through
// provider, and tokens are opened with sealer.
func NewWallet(store *Store, reconciler *Reconciler, provider TokenProvider, sealer Sealer, cfg Config, log *zap.Logger) *Wallet {
	if store == nil || reconciler == nil || provider == nil || sealer == nil || log == nil {
		panic("orders: NewWallet needs a store, a reconciler, a token provider, a sealer and a logger")
	}
	return &Wallet{store: store, reconciler: reconciler, provider: provider, sealer: sealer, cfg: cfg.withDefaults(), log: log}
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

// List returns a customer's payment methods, newest first.
func (w *Wallet) List(ctx context.Context, customerRef string) ([]PaymentMethod, error) {
	if err := ValidateCustomerReference("customerReference", customerRef); err != nil {
		return nil, err
	}
	out, err := w.store.paymentMethods(ctx, customerRef)
	if err != nil {
		return nil, fmt.Errorf("orders: list payment methods: %w", err)
	}
	return out, nil
}

// getToken loads a live payment method of the customer, FOR UPDATE when lock, and
// decrypts its token.
func (w *Wallet) getToken(ctx context.Context, db ordersdb.DBTX, id uuid.UUID, customerRef string, lock bool) (PaymentMethod, string, error) {
	t, ok, err := w.store.paymentMethod(ctx, db, id, customerRef, lock)
	if err != nil {
		return PaymentMethod{}, "", err
	}
	if !ok {
		return PaymentMethod{}, "", &Error{Code: ENotFound, Field: "paymentMethodId", Message: fmt.Sprintf(
			"customer %s has no payment method %s", customerRef, id)}
	}
	token, err := w.sealer.Open(t.keyID, t.tokenSealed, sealAAD(t.method.ID, "token"))
	if err != nil {
		// Key lost (a development key that did not survive a restart) or rotated away.
		return t.method, "", Errorf(EConflict, "payment method %s cannot be decrypted with the configured GATEWAY_TOKEN_KEY (key %s)", id, t.keyID)
	}
	return t.method, string(token), nil
}

// Delete invalidates the payment method's token at PlacetoPay, then deletes it here. A token
// PlacetoPay already considers invalid (XN) is deleted too; when PlacetoPay fails or does not
// answer, nothing is deleted (EUnavailable).
func (w *Wallet) Delete(ctx context.Context, customerRef string, id uuid.UUID) error {
	if err := ValidateCustomerReference("customerReference", customerRef); err != nil {
		return err
	}
	// The row lock holds concurrent deletes and charges of the same method back while
	// PlacetoPay is asked.
	return w.store.inTx(ctx, func(tx pgx.Tx) error {
		pm, token, err := w.getToken(ctx, tx, id, customerRef, true)
		if err != nil && ErrorCode(err) != EConflict {
			return err
		}
		if token == "" {
			w.log.Warn("payment method deleted without invalidating its token: it cannot be decrypted", zap.String("paymentMethod", id.String()))
		} else {
			err := tokensOf(w.provider, pm.Site).InvalidateToken(ctx, token)
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
		return w.store.deletePaymentMethod(ctx, tx, pm.ID)
	})
}
