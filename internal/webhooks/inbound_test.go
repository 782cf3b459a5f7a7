package webhooks_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/orders"
	"github.com/placetopay-gateway/gateway/internal/pgtest"
	"github.com/placetopay-gateway/gateway/internal/placetopay"
	"github.com/placetopay-gateway/gateway/internal/webhooks"
)

// A verified notification is stored once; replays that differ only in what the signature
// does not cover (the hex case, an unsigned field) are duplicates, and forgeries are refused
// without a row.
func TestInboxDedupesOnSignedFacts(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Pool(t)
	const secret = "inbox-secret"
	in := webhooks.NewInbox(secret, webhooks.AllSignatures, orders.NewNotifications(orders.NewStore(pool, zap.NewNop()), orders.NewWaker(), zap.NewNop()), prometheus.NewRegistry())

	date := "2026-11-23T10:00:00-05:00"
	sig, _ := placetopay.NotificationSignature(placetopay.SHA256, 99, "APPROVED", date, secret)
	body := func(signature, reference string) []byte {
		return []byte(fmt.Sprintf(`{"status":{"status":"APPROVED","reason":"00","message":"ok","date":%q},"requestId":99,"reference":%q,"signature":%q}`,
			date, reference, signature))
	}
	for _, b := range [][]byte{
		body(sig, "R-1"),
		body(sig, "R-1"),
		body("sha256:"+strings.ToUpper(strings.TrimPrefix(sig, "sha256:")), "R-1"),
		body(sig, "R-other"), // reference is not signed
	} {
		if err := in.Receive(ctx, b); err != nil {
			t.Fatalf("Receive: %v", err)
		}
	}
	forged := body("sha256:"+strings.Repeat("0", 64), "R-1")
	if err := in.Receive(ctx, forged); !errors.Is(err, webhooks.ErrBadSignature) {
		t.Errorf("forged: %v, want ErrBadSignature", err)
	}
	var rows, dups int
	if err := pool.QueryRow(ctx, `SELECT count(*), coalesce(sum(duplicates), 0) FROM notifications`).Scan(&rows, &dups); err != nil {
		t.Fatal(err)
	}
	if rows != 1 || dups != 3 {
		t.Errorf("notifications: %d rows with %d duplicates, want 1 row with 3", rows, dups)
	}
}

// A notification whose signed terms read another way (request 1796394115 with status
// "2APPROVED" under the signature of request 17963941152, APPROVED) is malformed: refused,
// and nothing is stored.
func TestInboxRefusesShiftedSignatureTerms(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Pool(t)
	const secret = "inbox-secret"
	in := webhooks.NewInbox(secret, webhooks.AllSignatures, orders.NewNotifications(orders.NewStore(pool, zap.NewNop()), orders.NewWaker(), zap.NewNop()), prometheus.NewRegistry())

	date := "2026-03-10T09:31:12-05:00"
	sig, _ := placetopay.NotificationSignature(placetopay.SHA256, 17963941152, "APPROVED", date, secret)
	shifted := fmt.Sprintf(`{"status":{"status":"2APPROVED","reason":"00","date":%q},"requestId":1796394115,"reference":"R-1","signature":%q}`, date, sig)
	if err := in.Receive(ctx, []byte(shifted)); !errors.Is(err, webhooks.ErrMalformed) {
		t.Errorf("Receive: %v, want ErrMalformed", err)
	}
	var rows int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM notifications`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 0 {
		t.Errorf("notifications = %d, want 0", rows)
	}
}
