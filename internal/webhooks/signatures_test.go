package webhooks_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/orders"
	"github.com/placetopay-gateway/gateway/internal/pgtest"
	"github.com/placetopay-gateway/gateway/internal/placetopay"
	"github.com/placetopay-gateway/gateway/internal/webhooks"
)

// TestSiteOnSHA256RefusesSHA1: with PLACETOPAY_NOTIFICATION_SIGNATURES=sha256 a notification
// with a valid SHA-1 signature is refused like a forged one; SHA-256 ones are taken.
func TestSiteOnSHA256RefusesSHA1(t *testing.T) {
	const secret = "sha256-only-site-secret"
	signatures, err := webhooks.ParseSignatures("sha256")
	if err != nil {
		t.Fatal(err)
	}
	pool := pgtest.Pool(t)
	in := webhooks.NewInbox(secret, signatures, orders.NewNotifications(orders.NewStore(pool, zap.NewNop()), orders.NewWaker(), zap.NewNop()), prometheus.NewRegistry())
	body := func(alg placetopay.Algorithm, date string) []byte {
		sig, err := placetopay.NotificationSignature(alg, 77, "APPROVED", date, secret)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Appendf(nil, `{"status":{"status":"APPROVED","reason":"00","message":"ok","date":%q},"requestId":77,"reference":"R","signature":%q}`, date, sig)
	}
	if err := in.Receive(context.Background(), body(placetopay.SHA1, "2026-11-23T10:00:00-05:00")); !errors.Is(err, webhooks.ErrBadSignature) {
		t.Errorf("a SHA-1 notification = %v, want ErrBadSignature", err)
	}
	if err := in.Receive(context.Background(), body(placetopay.SHA256, "2026-11-23T10:00:01-05:00")); err != nil {
		t.Errorf("a SHA-256 notification = %v, want it taken", err)
	}
	for _, bad := range []string{"", "SHA256", "md5", "sha256,sha1"} {
		if _, err := webhooks.ParseSignatures(bad); err == nil {
			t.Errorf("ParseSignatures(%q) accepted it", bad)
		}
	}
}
