package placetopay

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const fuzzSecret = "fuzz-secret"

// FuzzVerifyNotification checks what a verified notification can be. Each input is first
// signed again for what it says (see resign), so that changes to the signed terms reach the
// checks behind the signature. A notification that verifies has a documented status for
// its kind and an RFC 3339 date, and its signed text splits into requestId, status and date
// in exactly one way; Go's encoding/json, which takes the last of two equal names and
// ignores case, reads it the same way. Nothing panics, and every refusal is a bad signature
// or a malformed notification.
func FuzzVerifyNotification(f *testing.F) {
	const date = "2026-03-10T09:31:12-05:00"
	for _, seed := range []string{
		`{"status":{"status":"APPROVED","reason":"00","message":"Aprobada","date":"` + date + `"},"requestId":17963941152,"reference":"R-1","signature":"sha256:00"}`,
		`{"status":{"status":"2APPROVED","reason":"00","date":"` + date + `"},"requestId":1796394115,"reference":"R-1","signature":"sha256:00"}`,
		`{"status":{"status":"APPROVED_PARTIAL","reason":"P0","date":"2026-03-10T14:31:12Z"},"requestId":"42","reference":"R-2","signature":"00"}`,
		`{"status":{"status":"PENDING_CONFIRMATION","reason":"PT","date":"2026-03-10T09:31:12.345-05:00"},"internalReference":1598634446,"reference":"564555","signature":"sha1:00","recurring":{"tries":2,"enabled":0}}`,
		`{"status":{"status":"REJECTED","reason":"05","date":"` + date + `"},"requestId":7,"requestId":8,"signature":"sha256:00"}`,
		`{"Status":{"status":"REJECTED","date":"` + date + `"},"status":{"status":"APPROVED","date":"` + date + `"},"requestId":7,"signature":"sha256:00"}`,
		`{"status":{"status":"APPROVED","date":"` + date + `"},"requestId":7,"reference":"\udc00","signature":"sha256:00"}`,
		"{\"status\":{\"status\":\"APPROVED\",\"date\":\"" + date + "\"},\"requestId\":7,\"reference\":\"\xff\",\"signature\":\"sha256:00\"}",
		`{"status":{"status":"APPROVED","date":"2026-03-10T09:31:12+24:00"},"requestId":7,"signature":"sha256:00"}`,
		`{"status":{"status":"APPROVED","date":"` + date + `"},"requestId":7,"signature":"md5:00"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		body = resign(body)
		n, alg, err := VerifyNotification(body, fuzzSecret)
		if err != nil {
			if !errors.Is(err, ErrMalformedNotification) && !errors.Is(err, ErrBadSignature) && !strings.Contains(err.Error(), "unknown signature algorithm") {
				t.Fatalf("%q: refused with %v", body, err)
			}
			return
		}
		if alg != SHA1 && alg != SHA256 {
			t.Fatalf("%q: verified with algorithm %q", body, alg)
		}
		id, statuses := int64(n.RequestID), sessionStatuses
		if id == 0 {
			id, statuses = int64(n.InternalReference), transactionStatuses
		}
		if id <= 0 || !slices.Contains(statuses, n.Status.Status) {
			t.Fatalf("%q: verified with id %d and status %q", body, id, n.Status.Status)
		}
		if !rfc3339.MatchString(n.Status.Date) {
			t.Fatalf("%q: verified with date %q", body, n.Status.Date)
		}
		if _, err := time.Parse(time.RFC3339Nano, n.Status.Date); err != nil {
			t.Fatalf("%q: verified with date %q: %v", body, n.Status.Date, err)
		}
		text := strconv.FormatInt(id, 10) + n.Status.Status + n.Status.Date
		if splits := readings(text); len(splits) != 1 {
			t.Fatalf("%q: signed text %q reads %d ways: %v", body, text, len(splits), splits)
		}
		var other Notification
		if err := json.Unmarshal(body, &other); err != nil {
			t.Fatalf("%q: verified, but encoding/json refuses it: %v", body, err)
		}
		if d := cmp.Diff(n, other); d != "" {
			t.Fatalf("%q reads otherwise to encoding/json (-gateway +encoding/json):\n%s", body, d)
		}
	})
}

// rfc3339 is the date form the test holds notifications to, written apart from the code's.
var rfc3339 = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$`)

// readings lists every way text splits into a positive requestId, a status of either
// notification kind and a date that time.Parse takes as RFC 3339.
func readings(text string) []string {
	var out []string
	for i := 1; i < len(text); i++ {
		id := text[:i]
		if v, err := strconv.ParseInt(id, 10, 64); err != nil || v <= 0 || strconv.FormatInt(v, 10) != id {
			continue
		}
		for _, st := range append(slices.Clone(sessionStatuses), transactionStatuses...) {
			date, ok := strings.CutPrefix(text[i:], st)
			if !ok || !rfc3339.MatchString(date) {
				continue
			}
			if _, err := time.Parse(time.RFC3339Nano, date); err == nil {
				out = append(out, id+"|"+st+"|"+date)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// resign replaces the signature of body with a valid one over what encoding/json reads in
// it, when the signature appears once, unescaped; otherwise body is returned unchanged.
func resign(body []byte) []byte {
	var n Notification
	if json.Unmarshal(body, &n) != nil || n.Signature == "" {
		return body
	}
	old := []byte(strconv.Quote(n.Signature))
	if bytes.Count(body, old) != 1 {
		return body
	}
	id := int64(n.RequestID)
	if id == 0 {
		id = int64(n.InternalReference)
	}
	alg, prefix := SHA256, ""
	if p, _, ok := strings.Cut(n.Signature, ":"); !ok {
		alg = SHA1
	} else if p == string(SHA1) {
		alg, prefix = SHA1, "sha1:"
	}
	sig, err := NotificationSignature(alg, id, n.Status.Status, n.Status.Date, fuzzSecret)
	if err != nil {
		return body
	}
	return bytes.Replace(body, old, fmt.Appendf(nil, "%q", prefix+sig), 1)
}
