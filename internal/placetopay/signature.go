package placetopay

import (
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/placetopay-gateway/gateway/internal/strictjson"
)

// Notification is the body PlacetoPay posts when a session reaches a final state
// (docs/placetopay.md#notification-body). Recurring-charge notifications carry InternalReference and Recurring
// instead of RequestID.
type Notification struct {
	Status            Status      `json:"status"`
	RequestID         Int64       `json:"requestId"`
	Reference         String      `json:"reference"`
	Signature         string      `json:"signature"`
	InternalReference Int64       `json:"internalReference,omitempty"`
	Recurring         *Recurrence `json:"recurring,omitempty"`
}

// Recurrence is the state of the recurrence a recurring charge belongs to, {"tries": 2,
// "enabled": 0} (docs/placetopay.md#recurring-charge-notifications). The values are kept
// as sent: they come as numbers, strings or booleans.
type Recurrence struct {
	Tries   json.RawMessage `json:"tries,omitempty"`
	Enabled json.RawMessage `json:"enabled,omitempty"`
}

// ErrBadSignature is returned for a notification whose signature does not verify.
var ErrBadSignature = errors.New("placetopay: notification signature does not match")

// ErrMalformedNotification is returned for a body that is not a notification PlacetoPay
// documents, whatever its signature.
var ErrMalformedNotification = errors.New("placetopay: malformed notification")

// NotificationSignature signs a notification as PlacetoPay does: "sha256:" + hex(SHA-256(
// requestId + status + date + secretKey)), or bare hex(SHA-1(…)) for legacy sites. date must
// be the exact text sent in status.date.
func NotificationSignature(alg Algorithm, requestID int64, status, date, secretKey string) (string, error) {
	sum, err := digestHex(alg, strconv.FormatInt(requestID, 10)+status+date+secretKey)
	if err != nil || alg == SHA1 {
		return sum, err
	}
	return string(SHA256) + ":" + sum, nil
}

func digestHex(alg Algorithm, text string) (string, error) {
	h, err := alg.newHash()
	if err != nil {
		return "", err
	}
	h.Write([]byte(text))
	return hex.EncodeToString(h.Sum(nil)), nil
}

// VerifyNotification decodes a notification body and checks its signature with secretKey,
// comparing in constant time over the date string exactly as received. It returns the
// notification and the algorithm the signature used (no prefix means SHA-1). Only sha1 and
// sha256 are accepted. A body that is not a notification as PlacetoPay documents it (a name
// given twice or in another case, invalid UTF-8: strictjson; no requestId, a status it
// does not send in this notification, a date that is not RFC 3339) is
// ErrMalformedNotification, whatever its signature. Unknown fields are ignored.
func VerifyNotification(body []byte, secretKey string) (Notification, Algorithm, error) {
	var n Notification
	if err := strictjson.Unmarshal(body, &n, strictjson.IgnoreUnknown); err != nil {
		return Notification{}, "", fmt.Errorf("%w: %w", ErrMalformedNotification, err)
	}
	if n.Status.Status == "" || n.Status.Date == "" || n.Signature == "" {
		return n, "", fmt.Errorf("%w: status, date and signature are required", ErrMalformedNotification)
	}
	id := int64(n.RequestID)
	if id == 0 {
		// Recurring charges have no session; the signature's first term is then, by the
		// best available evidence (docs/placetopay.md#recurring-charge-notifications), the internal reference.
		id = int64(n.InternalReference)
	}
	if id <= 0 {
		return n, "", fmt.Errorf("%w: no requestId", ErrMalformedNotification)
	}
	if err := checkSignedTerms(n.Status, n.RequestID == 0); err != nil {
		return n, "", err
	}
	alg, sig := SHA1, n.Signature
	if prefix, rest, ok := strings.Cut(n.Signature, ":"); ok {
		alg, sig = Algorithm(prefix), rest
		if alg != SHA256 && alg != SHA1 {
			return n, "", fmt.Errorf("placetopay: unknown signature algorithm %q", prefix)
		}
	}
	want, err := digestHex(alg, strconv.FormatInt(id, 10)+n.Status.Status+n.Status.Date+secretKey)
	if err != nil {
		return n, "", err
	}
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(sig)), []byte(want)) != 1 {
		return n, alg, ErrBadSignature
	}
	return n, alg, nil
}

// checkSignedTerms refuses a status or a date PlacetoPay does not send. The signature is
// over the terms run together with nothing between them, so each must have one reading:
// otherwise request 17963941152 with status APPROVED also signs request 1796394115 with
// status "2APPROVED" (docs/placetopay.md#notification-signature). A status is a word of a
// fixed list and the date starts and ends as RFC 3339 says, so no digit can move between
// terms.
func checkSignedTerms(st Status, recurring bool) error {
	statuses := sessionStatuses
	if recurring {
		statuses = transactionStatuses
	}
	if !slices.Contains(statuses, st.Status) {
		return fmt.Errorf("%w: status %q is not one PlacetoPay sends in this notification", ErrMalformedNotification, st.Status)
	}
	if !notificationDate.MatchString(st.Date) {
		return fmt.Errorf("%w: status.date %q is not an RFC 3339 date-time", ErrMalformedNotification, st.Date)
	}
	if _, err := st.Time(); err != nil {
		return fmt.Errorf("%w: status.date %q: %w", ErrMalformedNotification, st.Date, err)
	}
	return nil
}

// The statuses a notification may carry (docs/placetopay.md#statuses): a session's for a
// checkout notification; a transaction's for a recurring charge's, including the two that
// older documents list.
var (
	sessionStatuses     = []string{StatusApproved, StatusRejected, StatusPending, StatusApprovedPartial, StatusPartialExpired}
	transactionStatuses = []string{StatusApproved, StatusRejected, StatusPending, StatusPendingConfirmation, StatusFailed,
		StatusPendingValidation, StatusRefunded}
)

// notificationDate is the form of status.date: PlacetoPay's 2026-03-10T09:31:12-05:00, also
// with Z or fractional seconds, as its answers sometimes write dates
// (docs/placetopay.md#payload-quirks) and the sandbox does in UTC. Status.Time then checks
// that the date and time are in range (time.Parse would let an offset of +24:00 through).
var notificationDate = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$`)

// AutopayWebhook is the body PlacetoPay posts to a merchant's /autopay/webhook (docs/placetopay.md#autopay-webhooks).
type AutopayWebhook struct {
	ID         string          `json:"id"`
	Reference  String          `json:"reference"`
	Type       string          `json:"type"`
	Date       string          `json:"date"`
	Signature  string          `json:"signature"`
	Additional json.RawMessage `json:"additional,omitempty"`
}

// AutopaySignature is "sha256:" + hex(SHA-256(id + type + date + secretKey)).
func AutopaySignature(id, typ, date, secretKey string) string {
	sum, _ := digestHex(SHA256, id+typ+date+secretKey) // SHA256 always has a hash
	return string(SHA256) + ":" + sum
}

// VerifyAutopayWebhook decodes an autopay webhook as strictly as VerifyNotification does
// and checks its sha256 signature in constant time.
func VerifyAutopayWebhook(body []byte, secretKey string) (AutopayWebhook, error) {
	var w AutopayWebhook
	if err := strictjson.Unmarshal(body, &w, strictjson.IgnoreUnknown); err != nil {
		return AutopayWebhook{}, fmt.Errorf("placetopay: malformed autopay webhook: %w", err)
	}
	if w.ID == "" || w.Type == "" || w.Date == "" || w.Signature == "" {
		return w, errors.New("placetopay: malformed autopay webhook: id, type, date and signature are required")
	}
	if !strings.HasPrefix(w.Signature, "sha256:") {
		return w, fmt.Errorf("placetopay: autopay webhook signature must be sha256")
	}
	want := AutopaySignature(w.ID, w.Type, w.Date, secretKey)
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(w.Signature)), []byte(want)) != 1 {
		return w, ErrBadSignature
	}
	return w, nil
}
