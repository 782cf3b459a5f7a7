package webhooks

import (
	"fmt"

	"github.com/placetopay-gateway/gateway/internal/placetopay"
)

// Signatures are the notification signature algorithms a site's notifications may use
// (PLACETOPAY_NOTIFICATION_SIGNATURES): a site migrated to SHA-256 refuses SHA-1, whose
// signatures are weaker and which PlacetoPay is retiring.
type Signatures struct{ sha1, sha256 bool }

// AllSignatures accepts both algorithms, as PlacetoPay's sites may sign with either.
var AllSignatures = Signatures{sha1: true, sha256: true}

// ParseSignatures reads "sha256", "sha1" or "both".
func ParseSignatures(s string) (Signatures, error) {
	switch s {
	case "sha256":
		return Signatures{sha256: true}, nil
	case "sha1":
		return Signatures{sha1: true}, nil
	case "both":
		return AllSignatures, nil
	}
	return Signatures{}, fmt.Errorf("must be sha256, sha1 or both, not %q", s)
}

// accepts reports whether a notification signed with alg is accepted.
func (s Signatures) accepts(alg placetopay.Algorithm) bool {
	switch alg {
	case placetopay.SHA256:
		return s.sha256
	case placetopay.SHA1:
		return s.sha1
	}
	return false
}
