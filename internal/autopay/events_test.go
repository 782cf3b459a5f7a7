package autopay

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/placetopay-gateway/gateway/internal/pgtest"
)

// TestEnrolmentChangesAreAnnouncedByWhatTheMerchantSees: a change of status or terms is one
// event (autopay.cancelled when it ends in cancelled); a change of PlacetoPay's status
// message alone is none, and so is anything but a new status once the enrolment is
// cancelled.
func TestEnrolmentChangesAreAnnouncedByWhatTheMerchantSees(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Pool(t)
	store := NewStore(pool)
	id := uuid.New()
	if _, err := pool.Exec(ctx, `INSERT INTO autopays (id, reference, description, charge_type, currency, amount_minor, recurring, return_url, status)
		VALUES ($1, 'ACC-9', 'plan', 'FIXED', 'USD', 2500, '{"type":"FIXED","periodicity":"M","interval":1,"nextPayment":"2099-01-01"}',
		'https://shop.test/back', 'active')`, id); err != nil {
		t.Fatal(err)
	}
	// change applies set to the enrolment and announces it, as applyView does.
	change := func(set string) {
		t.Helper()
		err := store.inTx(ctx, func(tx pgx.Tx) error {
			before, err := store.get(ctx, tx, id, true)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE autopays SET `+set+` WHERE id = $1`, id); err != nil {
				return err
			}
			return store.announceChange(ctx, tx, before)
		})
		if err != nil {
			t.Fatalf("%s: %v", set, err)
		}
	}
	events := func() []string {
		t.Helper()
		rows, err := pool.Query(ctx, `SELECT type, data FROM events WHERE autopay_id = $1 ORDER BY seq`, id)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var typ string
			var data enrolmentData
			var raw []byte
			if err := rows.Scan(&typ, &raw); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(raw, &data); err != nil {
				t.Fatal(err)
			}
			out = append(out, typ+" "+string(data.PreviousStatus)+">"+string(data.Status)+" "+data.Description)
		}
		return out
	}

	change(`provider_message = 'still fine'`)
	change(`description = 'plan, upgraded', amount_minor = 3000`)
	change(`status = 'cancelled', provider_reason = 'XC'`)
	change(`description = 'plan, as PlacetoPay now words it'`)
	change(`status = 'active'`)
	want := []string{
		"autopay.updated active>active plan, upgraded",
		"autopay.cancelled active>cancelled plan, upgraded",
		"autopay.updated cancelled>active plan, as PlacetoPay now words it",
	}
	got := events()
	if len(got) != len(want) {
		t.Fatalf("events %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d = %q, want %q", i, got[i], want[i])
		}
	}
}
