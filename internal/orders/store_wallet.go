package orders

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/placetopay-gateway/gateway/internal/orders/ordersdb"
)

// sealedInstrument is a card token PlacetoPay issued, sealed for storage.
type sealedInstrument struct {
	id              uuid.UUID
	keyID           string
	token, subtoken []byte
	instrument      ProviderInstrument // the descriptive fields; its token is not stored from here
	session         Session
}

// insertPaymentMethod stores a sealed instrument for the session's customer, once per
// session: inserted is false when the session's was stored already.
func (s *Store) insertPaymentMethod(ctx context.Context, tx pgx.Tx, in sealedInstrument) (inserted bool, err error) {
	var installments *int32
	if in.instrument.Installments > 0 {
		installments = ptr(int32(in.instrument.Installments))
	}
	n, err := s.q.InsertPaymentMethod(ctx, tx, ordersdb.InsertPaymentMethodParams{
		ID: in.id, CustomerReference: in.session.CustomerReference, KeyID: in.keyID, TokenSealed: in.token, SubtokenSealed: in.subtoken,
		Type: "token", Franchise: nullable(in.instrument.Franchise), FranchiseName: nullable(in.instrument.FranchiseName),
		IssuerName: nullable(in.instrument.IssuerName), LastDigits: nullable(lastDigits(in.instrument.LastDigits)),
		ValidUntil: nullable(in.instrument.ValidUntil), Installments: installments, SessionID: in.session.ID, OrderID: in.session.OrderID,
	})
	return n == 1, err
}

// paymentMethods lists a customer's live payment methods, newest first.
func (s *Store) paymentMethods(ctx context.Context, customerRef string) ([]PaymentMethod, error) {
	rows, err := s.q.ListPaymentMethods(ctx, s.pool, customerRef)
	out := make([]PaymentMethod, 0, len(rows))
	for _, r := range rows {
		out = append(out, paymentMethodFromRow(r))
	}
	return out, err
}

// storedToken is a live payment method with its sealed token.
type storedToken struct {
	method      PaymentMethod
	keyID       string
	tokenSealed []byte
}

// paymentMethod reads a live payment method of the customer with its sealed token, FOR
// UPDATE when lock; ok is false when the customer has no such method.
func (s *Store) paymentMethod(ctx context.Context, db ordersdb.DBTX, id uuid.UUID, customerRef string, lock bool) (t storedToken, ok bool, err error) {
	var row ordersdb.PaymentMethod
	args := ordersdb.GetPaymentMethodParams{ID: id, CustomerReference: customerRef}
	if lock {
		row, err = s.q.GetPaymentMethodForUpdate(ctx, db, ordersdb.GetPaymentMethodForUpdateParams(args))
	} else {
		row, err = s.q.GetPaymentMethod(ctx, db, args)
	}
	if ok, err = found(err); !ok {
		return storedToken{}, false, err
	}
	return storedToken{method: paymentMethodFromRow(row), keyID: row.KeyID, tokenSealed: row.TokenSealed}, true, nil
}

// deletePaymentMethod deletes a payment method, erasing its sealed token.
func (s *Store) deletePaymentMethod(ctx context.Context, tx pgx.Tx, id uuid.UUID) error {
	_, err := s.q.DeletePaymentMethod(ctx, tx, id)
	return err
}
