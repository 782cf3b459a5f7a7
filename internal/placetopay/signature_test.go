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
