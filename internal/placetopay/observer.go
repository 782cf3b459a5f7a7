package placetopay

import (
	"errors"
	"regexp"
	"strconv"
	"time"
)

// Observer receives what metrics need from the client: every call's operation, outcome and
// duration, and the clock skew PlacetoPay's answers reveal. Labels are bounded: operations
// are the Op constants (transaction actions as "transaction_<action>"), outcomes are
//
//	ok               a 2xx answer whose status is not FAILED
//	failed:<reason>  a FAILED status or a non-2xx JSON answer, with PlacetoPay's reason code
//	                 ("failed:none" without reason, "failed:other" for one that is not a
//	                 short code)
//	auth:<code>      an authentication failure (100 to 107)
//	http:<status>    a non-2xx answer without a reason (a proxy page, an empty body)
//	timeout          an attempt ran out of Config.Timeout or the caller's deadline
//	canceled         the caller's context was canceled
//	transport        no answer: connection refused, reset, dropped
//	malformed        an answer that could not be read or decoded (outcome unknown)
//	invalid          refused by validation before sending (duration 0)
//	error            not sent for another reason: no AutopayURL, no nonce, unencodable request
//
// Implementations must be safe for concurrent use and should return quickly.
type Observer interface {
	// ObserveCall reports one call, retries included, and how long it took.
	ObserveCall(operation, outcome string, d time.Duration)
	// ObserveSeedSkew reports status.date of an answer minus the local clock when the answer
	// arrived: positive when PlacetoPay's clock is ahead. Beyond 5 minutes either way,
	// authentication fails with code 103.
	ObserveSeedSkew(d time.Duration)
}

// Operation names passed to Observer.ObserveCall.
const (
	OpCreateSession       = "create_session"
	OpQuerySession        = "query_session"
	OpCancelSession       = "cancel_session"
	OpCollect             = "collect"
	OpReverse             = "reverse"
	OpInvalidateToken     = "invalidate_token"
	OpAutopaySession      = "autopay_session"
	OpAutopayQuery        = "autopay_query"
	OpAutopaySearch       = "autopay_search"
	OpAutopayCancel       = "autopay_cancel"
	OpAutopayTransactions = "autopay_transactions"
	// Transaction actions are observed as "transaction_" + action, e.g. "transaction_reverse".
	opTransactionPrefix = "transaction_"
)

// reasonLabelRE is what a reason code looks like: "XN", "?C", "0", "request_not_valid".
var reasonLabelRE = regexp.MustCompile(`^[A-Za-z0-9_?-]{1,32}$`)

type nopObserver struct{}

func (nopObserver) ObserveCall(string, string, time.Duration) {}
func (nopObserver) ObserveSeedSkew(time.Duration)             {}

// outcomeOf names err for Observer.ObserveCall.
func outcomeOf(err error) string {
	if err == nil {
		return "ok"
	}
	var v *ValidationError
	if errors.As(err, &v) {
		return "invalid"
	}
	if e, ok := IsAPIError(err); ok {
		if code, ok := e.AuthCode(); ok && code != 0 {
			return "auth:" + strconv.Itoa(code)
		}
		if r := e.Reason(); r != "" {
			if !reasonLabelRE.MatchString(r) {
				r = "other" // keep label values bounded whatever PlacetoPay sends
			}
			return "failed:" + r
		}
		if e.HTTPStatus >= 200 && e.HTTPStatus < 300 {
			return "failed:none"
		}
		return "http:" + strconv.Itoa(e.HTTPStatus)
	}
	var te *TransportError
	if errors.As(err, &te) {
		return transportKind(te.Err)
	}
	return "error"
}
