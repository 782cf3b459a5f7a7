package endpoints

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// fanOutBatch is how many events one fan-out reads.
const fanOutBatch = 500

// FanOut queues the events written since the last fan-out for every enabled endpoint whose
// filter takes them, and returns how many deliveries it queued.
//
// Exactly once, across replicas: the watermark (endpoint_fanout, a position in the events
// feed's (tx_id, seq) order) is locked for the whole transaction, and a replica that finds
// it locked leaves the fan-out to the one holding it. Events are read in feed order and
// only when their writing transaction is older than every transaction running when this
// one began (the horizon, read before this transaction has an id of its own): those have all
// ended, so every event they wrote is visible, and an event committed later sorts after the
// watermark. No event is skipped and none queued twice (the unique constraint on endpoint
// and event would refuse it anyway).
func (d *Deliverer) FanOut(ctx context.Context) (int, error) {
	queued := 0
	err := pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		var horizon int64
		if err := tx.QueryRow(ctx, `SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint`).Scan(&horizon); err != nil {
			return err
		}
		var wtx, wseq int64
		err := tx.QueryRow(ctx, `SELECT tx_id, seq FROM endpoint_fanout FOR UPDATE SKIP LOCKED`).Scan(&wtx, &wseq)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // another replica is fanning out
		} else if err != nil {
			return err
		}
		now := d.now().UTC()
		var lastTx, lastSeq *int64
		var n int64
		err = tx.QueryRow(ctx, `WITH batch AS MATERIALIZED (
				SELECT ev.seq, ev.tx_id, ev.type, coalesce(ev.order_id, ev.autopay_id) AS subject FROM events ev
				WHERE (ev.tx_id, ev.seq) > ($1::bigint::text::xid8, $2::bigint) AND ev.tx_id < $3::bigint::text::xid8
				ORDER BY ev.tx_id, ev.seq
				LIMIT $5
			), queued AS (
				INSERT INTO endpoint_deliveries (endpoint_id, event_seq, subject, next_attempt_at, created_at)
				SELECT ep.id, b.seq, b.subject, $4, $4 FROM batch b
				JOIN webhook_endpoints ep ON ep.disabled_at IS NULL AND (cardinality(ep.event_types) = 0 OR b.type = ANY(ep.event_types))
				ON CONFLICT ON CONSTRAINT endpoint_deliveries_once DO NOTHING
				RETURNING 1
			), last AS (
				SELECT tx_id::text::bigint AS tx, seq FROM batch ORDER BY tx_id DESC, seq DESC LIMIT 1
			)
			SELECT (SELECT count(*) FROM queued), (SELECT tx FROM last), (SELECT seq FROM last)`,
			wtx, wseq, horizon, now, fanOutBatch).Scan(&n, &lastTx, &lastSeq)
		if err != nil {
			return err
		}
		queued = int(n)
		if lastTx == nil {
			return nil
		}
		_, err = tx.Exec(ctx, `UPDATE endpoint_fanout SET tx_id = $1, seq = $2`, *lastTx, *lastSeq)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("endpoints: fan out: %w", err)
	}
	return queued, nil
}
