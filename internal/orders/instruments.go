package orders

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"
)

// storeInstrument records the card an approved subscription or subscribe session tokenized,
// sealed, inside the reconciliation's transaction, once per session. The token never
// leaves this function in the clear.
func (r *Reconciler) storeInstrument(ctx context.Context, tx pgx.Tx, sess Session, info ProviderSession) error {
	in := info.Instrument
	if r.sealer == nil || in == nil || in.Token == "" || info.Status != ProviderApproved || sess.CustomerReference == "" {
		return nil
	}
	if sess.Kind != KindSubscription && sess.Kind != KindPayment {
		return nil
	}
	sealed := sealedInstrument{id: uuid.Must(uuid.NewV7()), instrument: *in, session: sess}
	var err error
	if sealed.keyID, sealed.token, err = r.sealer.Seal([]byte(in.Token), sealAAD(sealed.id, "token")); err != nil {
		return err
	}
	if in.Subtoken != "" {
		if _, sealed.subtoken, err = r.sealer.Seal([]byte(in.Subtoken), sealAAD(sealed.id, "subtoken")); err != nil {
			return err
		}
	}
	inserted, err := r.store.insertPaymentMethod(ctx, tx, sealed)
	if err != nil {
		return fmt.Errorf("store payment method: %w", err)
	}
	if inserted {
		r.log.Info("payment method stored", zap.String("paymentMethod", sealed.id.String()), zap.String("order", sess.OrderID.String()))
	}
	return nil
}

// sealAAD binds a sealed value to its payment method row and to what it is.
func sealAAD(id uuid.UUID, what string) []byte {
	return []byte("payment_method:" + id.String() + ":" + what)
}
