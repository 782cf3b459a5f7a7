package placetopay

import (
	"errors"
	"fmt"
	"testing"
)

func notificationBody(requestID, status, date, signature string) []byte {
	return []byte(fmt.Sprintf(`{"status":{"status":%q,"reason":"00","message":"ok","date":%q},"requestId":%s,"reference":"TEST_1","signature":%q}`,
		status, date, requestID, signature))
}

// The documented vectors (docs/placetopay.md#notification-signature).
func TestVerifyNotificationVectors(t *testing.T) {
	const secret = "024h1IlD"
	tests := []struct {
		name, id, status, date, sig string
		alg                         Algorithm
	}{
		{"sha1 approved", "83", "APPROVED", "2016-10-10T16:39:57-05:00", "8fb4beea130ab3e75a1de956bd0213892e0f6839", SHA1},
		{"sha1 rejected", "126", "REJECTED", "2016-10-12T01:44:37-05:00", "554fa6c36bd5d1376b192b8bc3a1e3dd9a01e448", SHA1},
		{"sha256 approved", "83", "APPROVED", "2016-10-10T16:39:57-05:00", "sha256:1a0d78ea2fcc656c718d7fa3dc13d1aef9faea442017b20c705319cb33933454", SHA256},
		{"sha1 with explicit prefix", "83", "APPROVED", "2016-10-10T16:39:57-05:00", "sha1:8fb4beea130ab3e75a1de956bd0213892e0f6839", SHA1},
		{"requestId as string", `"83"`, "APPROVED", "2016-10-10T16:39:57-05:00", "8fb4beea130ab3e75a1de956bd0213892e0f6839", SHA1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, alg, err := VerifyNotification(notificationBody(tt.id, tt.status, tt.date, tt.sig), secret)
			if err != nil {
				t.Fatalf("VerifyNotification: %v", err)
			}
			if alg != tt.alg || n.Status.Date != tt.date {
				t.Errorf("alg %q date %q; want %q %q", alg, n.Status.Date, tt.alg, tt.date)
			}
		})
	}
	for _, alg := range []Algorithm{SHA1, SHA256} {
		got, _ := NotificationSignature(alg, 83, "APPROVED", "2016-10-10T16:39:57-05:00", secret)
		body := notificationBody("83", "APPROVED", "2016-10-10T16:39:57-05:00", got)
		if _, _, err := VerifyNotification(body, secret); err != nil {
			t.Errorf("%s: own signature %q does not verify: %v", alg, got, err)
		}
	}
}

func TestVerifyNotificationRefusals(t *testing.T) {
	const secret = "024h1IlD"
	good := "sha256:1a0d78ea2fcc656c718d7fa3dc13d1aef9faea442017b20c705319cb33933454"
	tests := []struct {
		name   string
		body   []byte
		secret string
		bad    bool // ErrBadSignature rather than malformed
	}{
		{"wrong signature", notificationBody("83", "APPROVED", "2016-10-10T16:39:57-05:00", "sha256:"+fmt.Sprintf("%064d", 0)), secret, true},
		{"wrong secret", notificationBody("83", "APPROVED", "2016-10-10T16:39:57-05:00", good), "other", true},
		{"re-formatted date", notificationBody("83", "APPROVED", "2016-10-10T21:39:57Z", good), secret, true},
		{"status changed", notificationBody("83", "REJECTED", "2016-10-10T16:39:57-05:00", good), secret, true},
		{"request id changed", notificationBody("84", "APPROVED", "2016-10-10T16:39:57-05:00", good), secret, true},
		{"unknown algorithm prefix", notificationBody("83", "APPROVED", "2016-10-10T16:39:57-05:00", "md5:1a0d78ea2fcc656c718d7fa3dc13d1ae"), secret, false},
		{"sha512 prefix", notificationBody("83", "APPROVED", "2016-10-10T16:39:57-05:00", "sha512:"+good[7:]), secret, false},
		{"sha256 digest sent as sha1", notificationBody("83", "APPROVED", "2016-10-10T16:39:57-05:00", good[7:]), secret, true},
		{"not json", []byte(`{"status":`), secret, false},
		{"no signature", notificationBody("83", "APPROVED", "2016-10-10T16:39:57-05:00", ""), secret, false},
		{"no request id", notificationBody("0", "APPROVED", "2016-10-10T16:39:57-05:00", good), secret, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := VerifyNotification(tt.body, tt.secret)
			if err == nil {
				t.Fatal("accepted")
			}
			if got := errors.Is(err, ErrBadSignature); got != tt.bad {
				t.Errorf("errors.Is(err, ErrBadSignature) = %v, want %v (err %v)", got, tt.bad, err)
			}
		})
	}
}

func TestVerifyAutopayWebhook(t *testing.T) {
	const secret = "s3cret"
	sig := AutopaySignature("2972c13d-6315-4da3-80d7-64c24eb232ad", "AUTOPAY_CREATED", "2023-01-19 15:57:23", secret)
	body := fmt.Sprintf(`{"id":"2972c13d-6315-4da3-80d7-64c24eb232ad","reference":"ACC00012345","type":"AUTOPAY_CREATED","date":"2023-01-19 15:57:23","signature":%q}`, sig)
	if _, err := VerifyAutopayWebhook([]byte(body), secret); err != nil {
		t.Fatalf("valid webhook refused: %v", err)
	}
	if _, err := VerifyAutopayWebhook([]byte(body), "other"); !errors.Is(err, ErrBadSignature) {
		t.Errorf("wrong secret: %v, want ErrBadSignature", err)
	}
}

// The signature is over requestId, status, date and secret run together, so the terms must
// have one reading: only documented statuses and RFC 3339 dates are accepted. Otherwise a
// genuine notification for request 17963941152, APPROVED, also signs request 1796394115
// with status "2APPROVED" (docs/placetopay.md#notification-signature).
func TestVerifyNotificationRefusesShiftedTerms(t *testing.T) {
	const secret = "024h1IlD"
	const date = "2026-03-10T09:31:12-05:00"
	sig, _ := NotificationSignature(SHA256, 17963941152, "APPROVED", date, secret)
	if _, _, err := VerifyNotification(notificationBody("17963941152", "APPROVED", date, sig), secret); err != nil {
		t.Fatalf("the genuine notification: %v", err)
	}
	_, _, err := VerifyNotification(notificationBody("1796394115", "2APPROVED", date, sig), secret)
	if err == nil || errors.Is(err, ErrBadSignature) || !errors.Is(err, ErrMalformedNotification) {
		t.Fatalf("requestId 1796394115 with status 2APPROVED: %v, want a malformed notification", err)
	}
	// The same with the date: "APPROVED" + "2026…" read as "APPROVED2" + "026…".
	sig, _ = NotificationSignature(SHA256, 42, "APPROVED", date, secret)
	if _, _, err := VerifyNotification(notificationBody("42", "APPROVED2", date[1:], sig), secret); !errors.Is(err, ErrMalformedNotification) {
		t.Errorf("status APPROVED2 with date %s: %v, want a malformed notification", date[1:], err)
	}
}

// A checkout notification carries a session status; a recurring charge's (internalReference,
// no requestId) a transaction status (docs/placetopay.md#statuses). Anything else, correctly
// signed or not, is malformed.
func TestVerifyNotificationStatuses(t *testing.T) {
	const secret = "024h1IlD"
	const date = "2026-03-10T09:31:12-05:00"
	body := func(recurring bool, status string) []byte {
		sig, _ := NotificationSignature(SHA256, 640, status, date, secret)
		id := `"requestId":640`
		if recurring {
			id = `"internalReference":640,"recurring":{"tries":1,"enabled":1}`
		}
		return []byte(fmt.Sprintf(`{"status":{"status":%q,"reason":"00","date":%q},%s,"reference":"R","signature":%q}`, status, date, id, sig))
	}
	for _, tt := range []struct {
		status              string
		checkout, recurring bool // accepted
	}{
		{"APPROVED", true, true},
		{"REJECTED", true, true},
		{"PENDING", true, true},
		{"APPROVED_PARTIAL", true, false},
		{"PARTIAL_EXPIRED", true, false},
		{"PENDING_CONFIRMATION", false, true},
		{"FAILED", false, true},
		{"PENDING_VALIDATION", false, true},
		{"REFUNDED", false, true},
		{"OK", false, false},
		{"approved", false, false},
		{"Approved", false, false},
		{"APPROVED ", false, false},
		{" APPROVED", false, false},
		{"2APPROVED", false, false},
		{"APPROVED2", false, false},
		{"CANCELED", false, false},
		{"APPROVED\n", false, false},
	} {
		for _, recurring := range []bool{false, true} {
			want := map[bool]bool{false: tt.checkout, true: tt.recurring}[recurring]
			_, _, err := VerifyNotification(body(recurring, tt.status), secret)
			if want && err != nil {
				t.Errorf("%q (recurring %t): %v, want accepted", tt.status, recurring, err)
			}
			if !want && !errors.Is(err, ErrMalformedNotification) {
				t.Errorf("%q (recurring %t): %v, want a malformed notification", tt.status, recurring, err)
			}
		}
	}
}

// status.date is an RFC 3339 date-time as PlacetoPay writes it (2026-03-10T09:31:12-05:00),
// also with Z or fractional seconds as its answers sometimes have them; nothing else.
func TestVerifyNotificationDates(t *testing.T) {
	const secret = "024h1IlD"
	for _, tt := range []struct {
		date string
		ok   bool
	}{
		{"2026-03-10T09:31:12-05:00", true},
		{"2026-03-10T14:31:12+00:00", true},
		{"2026-03-10T14:31:12Z", true},
		{"2026-03-10T09:31:12.5-05:00", true},
		{"2023-03-09T23:28:43.775Z", true},
		{"2021-09-15T00:16:45.345048Z", true},
		{"", false},
		{"2026-03-10", false},
		{"2026-03-10T09:31:12", false},
		{"2026-03-10 09:31:12-05:00", false},
		{"2026-03-10t09:31:12-05:00", false},
		{"2026-03-10T09:31:12z", false},
		{"2026-03-10T09:31-05:00", false},
		{"2026-03-10T09:31:12-0500", false},
		{"2026-03-10T09:31:12-05", false},
		{"2026-03-10T09:31:12.-05:00", false},
		{"2026-03-10T09:31:12.1234567890Z", false},
		{"2026-13-10T09:31:12-05:00", false},
		{"2026-02-30T09:31:12-05:00", false},
		{"2026-03-10T24:31:12-05:00", false},
		{"2026-03-10T09:31:12+24:00", false},
		{"+2026-03-10T09:31:12-05:00", false},
		{"2026-03-10T09:31:12-05:00 ", false},
		{"2026-03-10T09:31:12-05:00x", false},
		{"0002026-03-10T09:31:12-05:00", false},
		{"٢٠٢٦-03-10T09:31:12-05:00", false},
		{"1", false},
	} {
		sig, _ := NotificationSignature(SHA256, 83, "APPROVED", tt.date, secret)
		n, _, err := VerifyNotification(notificationBody("83", "APPROVED", tt.date, sig), secret)
		switch {
		case tt.ok && err != nil:
			t.Errorf("%q: %v, want accepted", tt.date, err)
		case tt.ok && n.Status.Date != tt.date:
			t.Errorf("%q: date read as %q", tt.date, n.Status.Date)
		case !tt.ok && !errors.Is(err, ErrMalformedNotification):
			t.Errorf("%q: %v, want a malformed notification", tt.date, err)
		}
	}
}

// A notification must read the same to every parser: a name given twice, a name that
// matches a field only when case is ignored, and invalid UTF-8 make it malformed, even
// correctly signed. Names the gateway does not know are still accepted: PlacetoPay may add
// fields.
func TestVerifyNotificationRefusesAmbiguousBodies(t *testing.T) {
	const secret = "024h1IlD"
	const date = "2026-03-10T09:31:12-05:00"
	sig, _ := NotificationSignature(SHA256, 640, "APPROVED", date, secret)
	rejected := `{"status":"REJECTED","reason":"05","date":"` + date + `"}`
	approved := `{"status":"APPROVED","reason":"00","date":"` + date + `"}`
	signed := `"signature":"` + sig + `"`
	for _, tt := range []struct {
		name, body string
		ok         bool
	}{
		{"as sent", `{"status":` + approved + `,"requestId":640,"reference":"R-1",` + signed + `}`, true},
		{"an unknown field", `{"status":` + approved + `,"requestId":640,"reference":"R-1","brandNew":{"x":[1]},` + signed + `}`, true},
		{"status twice", `{"status":` + rejected + `,"status":` + approved + `,"requestId":640,"reference":"R-1",` + signed + `}`, false},
		{"status.status twice", `{"status":{"status":"REJECTED","status":"APPROVED","date":"` + date + `"},"requestId":640,` + signed + `}`, false},
		{"requestId twice", `{"status":` + approved + `,"requestId":641,"requestId":640,` + signed + `}`, false},
		{"signature twice", `{"status":` + approved + `,"requestId":640,"signature":"sha256:00",` + signed + `}`, false},
		{"reference twice", `{"status":` + approved + `,"requestId":640,"reference":"R-1","reference":"R-2",` + signed + `}`, false},
		{"an unknown field twice", `{"status":` + approved + `,"requestId":640,"x":1,"x":2,` + signed + `}`, false},
		{"Status beside status", `{"Status":` + rejected + `,"status":` + approved + `,"requestId":640,` + signed + `}`, false},
		{"REQUESTID", `{"status":` + approved + `,"REQUESTID":640,` + signed + `}`, false},
		{"requestID", `{"status":` + approved + `,"requestID":640,"requestId":640,` + signed + `}`, false},
		{"STATUS inside status", `{"status":{"STATUS":"REJECTED","status":"APPROVED","date":"` + date + `"},"requestId":640,` + signed + `}`, false},
		{"Signature", `{"status":` + approved + `,"requestId":640,"Signature":"sha1:00",` + signed + `}`, false},
		{"Tries in recurring", `{"status":` + approved + `,"internalReference":640,"recurring":{"tries":1,"Tries":3},` + signed + `}`, false},
		{"invalid UTF-8 in reference", "{\"status\":" + approved + ",\"requestId\":640,\"reference\":\"R-\xff\"," + signed + "}", false},
		{"invalid UTF-8 in message", "{\"status\":{\"status\":\"APPROVED\",\"message\":\"aprobada \xe1\",\"date\":\"" + date + "\"},\"requestId\":640," + signed + "}", false},
		{"lone surrogate", `{"status":` + approved + `,"requestId":640,"reference":"\udc00",` + signed + `}`, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := VerifyNotification([]byte(tt.body), secret)
			switch {
			case tt.ok && err != nil:
				t.Errorf("%v, want accepted", err)
			case !tt.ok && !errors.Is(err, ErrMalformedNotification):
				t.Errorf("%v, want a malformed notification", err)
			}
		})
	}
}

// The same holds for autopay webhooks.
func TestVerifyAutopayWebhookRefusesAmbiguousBodies(t *testing.T) {
	const secret = "s3cret"
	const id = "2972c13d-6315-4da3-80d7-64c24eb232ad"
	sig := AutopaySignature(id, "AUTOPAY_CANCELED", "2023-01-19 15:57:23", secret)
	tail := `"date":"2023-01-19 15:57:23","signature":"` + sig + `"}`
	for _, tt := range []struct {
		name, body string
		ok         bool
	}{
		{"as sent", `{"id":"` + id + `","reference":"ACC-1","type":"AUTOPAY_CANCELED",` + tail, true},
		{"type twice", `{"id":"` + id + `","type":"AUTOPAY_UPDATED","type":"AUTOPAY_CANCELED",` + tail, false},
		{"ID", `{"ID":"` + id + `","type":"AUTOPAY_CANCELED",` + tail, false},
		{"Type beside type", `{"id":"` + id + `","Type":"AUTOPAY_CREATED","type":"AUTOPAY_CANCELED",` + tail, false},
		{"invalid UTF-8", "{\"id\":\"" + id + "\",\"reference\":\"\xff\",\"type\":\"AUTOPAY_CANCELED\"," + tail, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := VerifyAutopayWebhook([]byte(tt.body), secret)
			switch {
			case tt.ok && err != nil:
				t.Errorf("%v, want accepted", err)
			case !tt.ok && (err == nil || errors.Is(err, ErrBadSignature)):
				t.Errorf("%v, want a malformed webhook", err)
			}
		})
	}
}
