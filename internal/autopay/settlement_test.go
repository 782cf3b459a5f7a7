package autopay

import (
	"context"
	"errors"
	"testing"

	"go.uber.org/zap"

	"github.com/placetopay-gateway/gateway/internal/pgtest"
	pp "github.com/placetopay-gateway/gateway/internal/placetopay"
)

// unreachable is a PlacetoPay that never answers.
type unreachable struct{}

var _ Client = unreachable{}

var errUnreachable = errors.New("placetopay is unreachable in this test")

func (unreachable) CreateAutopaySession(context.Context, pp.CreateSessionRequest) (*pp.CreateSessionResponse, error) {
	return nil, errUnreachable
}
func (unreachable) QueryAutopaySession(context.Context, int64) (*pp.SessionInformation, error) {
	return nil, errUnreachable
}
func (unreachable) SearchAutopay(context.Context, pp.AutopaySearchRequest) (*pp.AutopaySearchResponse, error) {
	return nil, errUnreachable
}
func (unreachable) CancelAutopay(context.Context, pp.AutopayCancelRequest) (*pp.AutopayCancelResponse, error) {
	return nil, errUnreachable
}
func (unreachable) AutopayTransactions(context.Context, pp.AutopayTransactionsRequest) (*pp.AutopayTransactionsResponse, error) {
	return nil, errUnreachable
}

// A settlement is not signed and its amount is recorded: a name given twice, a name in
// another case or invalid UTF-8 make it malformed, and nothing is recorded.
func TestSettlementRefusesAmbiguousBodies(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Pool(t)
	s := NewService(NewStore(pool), unreachable{}, "s3cret", zap.NewNop())
	const head = `{"reference":"ACC-1","id":"2972c13d-6315-4da3-80d7-64c24eb232ad","transaction":{"status":{"status":"APPROVED","reason":"00"},`
	for _, tt := range []struct{ name, body string }{
		{"total twice", head + `"internalReference":99887766,"amount":{"currency":"USD","total":"10.00","total":"1000.00"}}}`},
		{"internalReference twice", head + `"internalReference":1,"internalReference":99887766,"amount":{"currency":"USD","total":"10.00"}}}`},
		{"TOTAL", head + `"internalReference":99887766,"amount":{"currency":"USD","TOTAL":"1000.00"}}}`},
		{"Amount beside amount", head + `"internalReference":99887766,"amount":{"currency":"USD","total":"10.00"},"Amount":{"currency":"USD","total":"1000.00"}}}`},
		{"invalid UTF-8", head + "\"internalReference\":99887766,\"reference\":\"ACC-\xff\",\"amount\":{\"currency\":\"USD\",\"total\":\"10.00\"}}}"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.ReceiveSettlement(ctx, []byte(tt.body)); !errors.Is(err, ErrMalformed) {
				t.Errorf("ReceiveSettlement: %v, want ErrMalformed", err)
			}
		})
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM autopay_charges`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("autopay_charges = %d after refused settlements, want 0", n)
	}
	// The same body, unambiguous, is recorded.
	good := head + `"internalReference":99887766,"amount":{"currency":"USD","total":"10.00"}}}`
	if _, err := s.ReceiveSettlement(ctx, []byte(good)); err != nil {
		t.Errorf("ReceiveSettlement of an unambiguous body: %v", err)
	}
}
