package orders

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"
)

// misplaced is a transaction PlacetoPay reported under a session of one order that the
// ledger holds as another order's payment.
type misplaced struct {
	internalReference int64
	order             uuid.UUID // the order the payment belongs to
}

// misplacedReview is the decision when PlacetoPay reports, under sess, payments that belong to
// other orders: this order goes to review, and so does each of those (a payment never moves
// between orders; a person must find out which order the money is for).
func (r *Reconciler) misplacedReview(ctx context.Context, tx pgx.Tx, o *Order, sess Session, elsewhere []misplaced, d decision) (decision, error) {
	for _, m := range elsewhere {
		reason := fmt.Sprintf("PlacetoPay reported payment %d, recorded for this order, under session %d of order %s",
			m.internalReference, deref64(sess.RequestID), o.ID)
		other, err := r.store.lockOrder(ctx, tx, m.order)
		if err != nil {
			return d, err
		}
		if other.Status != StatusReview && other.Status.CanTransition(StatusReview) {
			from := other.Status
			if err := r.store.record(ctx, tx, &other, Change{To: StatusReview, Reason: reason}); err != nil {
				return d, err
			}
			r.metrics.moved(from, &other)
			r.log.Warn("order put in review", zap.String("order", other.ID.String()), zap.String("reason", reason))
		}
		d = decision{status: StatusReview, paidMinor: d.paidMinor, reason: fmt.Sprintf(
			"PlacetoPay reported payment %d under this order's session %d, but it is order %s's payment", m.internalReference, deref64(sess.RequestID), m.order)}
	}
	return d, nil
}

func deref64(v *int64) int64 {
	if v == nil {
		return 0
	}
	return *v
}
