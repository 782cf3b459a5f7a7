package idempotency_test

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/placetopay-gateway/gateway/internal/idempotency"
	"github.com/placetopay-gateway/gateway/internal/tokens"
)

// TestStoredResponsesAreSealed: the answer kept for a replay holds the order's client secret
// and the buyer's personal data, so it is stored sealed: the row holds neither, the same
// keys replay it byte for byte, and other keys cannot (the request is then not run again).
func TestStoredResponsesAreSealed(t *testing.T) {
	ctx := context.Background()
	pool, s := newStore(t)
	body := []byte(`{"id":"0193","clientSecret":"cs_0123456789abcdefghij","buyer":{"email":"ada@example.com","document":"1033332222"}}`)
	_, lease := begin(t, s, "o1", "k", bodyA, idempotency.Proceed)
	if err := s.Complete(ctx, lease, idempotency.Response{Status: http.StatusCreated, Header: http.Header{"Content-Type": {"application/json"}}, Body: body}); err != nil {
		t.Fatal(err)
	}
	var stored []byte
	if err := pool.QueryRow(ctx, `SELECT response_body FROM idempotency_keys WHERE owner = 'o1' AND key = 'k'`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"cs_0123456789abcdefghij", "ada@example.com", "1033332222"} {
		if bytes.Contains(stored, []byte(secret)) {
			t.Errorf("the stored response holds %q in clear", secret)
		}
	}
	resp, _ := begin(t, s, "o1", "k", bodyA, idempotency.Replay)
	if !bytes.Equal(resp.Body, body) || resp.Status != http.StatusCreated {
		t.Errorf("replay = %d %s, want the first answer byte for byte", resp.Status, resp.Body)
	}

	// A replica with other keys: the answer cannot be read, and the request is not run again.
	other := idempotency.NewStore(pool, time.Minute, tokens.Generate())
	begin(t, other, "o1", "k", bodyA, idempotency.Unreadable)

	// A record stored in clear before bodies were sealed is still replayed.
	if _, err := pool.Exec(ctx, `INSERT INTO idempotency_keys (owner, key, method, path, request_hash, state, lock_token, locked_until,
		response_status, response_headers, response_body) VALUES ('o1', 'old', 'POST', '/v1/orders', $1, 'done', gen_random_uuid(), now(), 201, '{}', $2)`,
		bodyA, []byte(`{"legacy":true}`)); err != nil {
		t.Fatal(err)
	}
	if resp, _ := begin(t, s, "o1", "old", bodyA, idempotency.Replay); string(resp.Body) != `{"legacy":true}` {
		t.Errorf("legacy replay = %s", resp.Body)
	}
}
