package orders

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"
)

// reviewUnreadable puts the order of sess in review: PlacetoPay has answered answers queries
// of it in a row with something the gateway cannot read, so what it says of the money (maybe
// an approved payment) stays unknown until a person reads the session at PlacetoPay. An
// order in review already gets a note instead. The session stays checked, less and less
// often: an answer that reads is applied as usual, and the order stays in review, which only
// a person leaves.
func (p *Prober) reviewUnreadable(ctx context.Context, sess Session, answers int) error {
	reason := fmt.Sprintf("PlacetoPay answered %d queries of session %d in a row with something the gateway cannot read: "+
		"what it says of the payment is unknown; read the session at PlacetoPay", answers, *sess.RequestID)
	return p.store.inTx(ctx, func(tx pgx.Tx) error {
		o, err := p.store.lockOrder(ctx, tx, sess.OrderID)
		if err != nil {
			return err
		}
		from := o.Status
		if err := p.store.record(ctx, tx, &o, Change{To: stayOrMove(&o, StatusReview), Reason: reason, Session: &sess.ID}); err != nil {
			return err
		}
		p.metrics.moved(from, &o)
		p.log.Error("order put in review: PlacetoPay's answers cannot be read", zap.String("order", o.ID.String()),
			zap.Int64("requestId", *sess.RequestID), zap.Int("answers", answers))
		return nil
	})
}
