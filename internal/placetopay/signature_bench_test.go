package placetopay

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// approvedNotification is a notification as PlacetoPay posts it (docs/placetopay.md#notification-body), signed with sig.
func approvedNotification(sig string) []byte {
	return fmt.Appendf(nil, `{"status":{"status":"APPROVED","reason":"00","message":"La petición ha sido aprobada exitosamente",`+
		`"date":"2026-11-23T10:15:42-05:00"},"requestId":2983457,"reference":"ORDER-2026-000184","signature":%q}`, sig)
}

// BenchmarkVerifyNotification measures the check every inbound notification goes through:
// decoding the body and recomputing its signature, for each algorithm a site may use, and a
// forgery that fails only at the comparison.
func BenchmarkVerifyNotification(b *testing.B) {
	const secret = "024h1IlD-site-secret-key"
	for _, alg := range []Algorithm{SHA256, SHA1} {
		sig, err := NotificationSignature(alg, 2983457, "APPROVED", "2026-11-23T10:15:42-05:00", secret)
		if err != nil {
			b.Fatal(err)
		}
		body := approvedNotification(sig)
		b.Run(string(alg), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				n, got, err := VerifyNotification(body, secret)
				if err != nil || got != alg || n.RequestID != 2983457 {
					b.Fatalf("VerifyNotification = %d, %q, %v; want 2983457, %q, nil", n.RequestID, got, err, alg)
				}
			}
		})
	}
	forged := approvedNotification("sha256:" + strings.Repeat("0", 64))
	b.Run("bad signature", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := VerifyNotification(forged, secret); !errors.Is(err, ErrBadSignature) {
				b.Fatalf("VerifyNotification = %v, want ErrBadSignature", err)
			}
		}
	})
}
