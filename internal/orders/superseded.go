package orders

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// closeSuperseded takes the order's other open session out of the open slot once sess has
// taken money for the order: it is never handed out again, and it stays probed, so that a
// payment still landing on it is seen (and goes to review).
func (r *Reconciler) closeSuperseded(ctx context.Context, tx pgx.Tx, o *Order, sess, other Session, now time.Time) error {
	other.Attempt = AttemptClosed
	if err := r.store.setSession(ctx, tx, other, &now); err != nil {
		return err
	}
	return r.store.note(ctx, tx, o.ID, &other.ID, "superseded", fmt.Sprintf(
		"session %d is closed and cancelled at PlacetoPay: the order is %s by session %d", deref64(other.RequestID), o.Status, deref64(sess.RequestID)))
}
