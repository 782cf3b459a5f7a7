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

// listing is a PlacetoPay whose /autopay/transactions lists one approved transaction for
// every internalReference asked about, of the amount in amounts.
type listing struct {
	unreachable
	amounts map[string]pp.AmountBase // by internalReference
}

func (l listing) AutopayTransactions(_ context.Context, req pp.AutopayTransactionsRequest) (*pp.AutopayTransactionsResponse, error) {
	ref := req.Filters.InternalReference
	a, ok := l.amounts[ref]
	if !ok {
		return &pp.AutopayTransactionsResponse{}, nil
	}
	var id pp.Int64
	if err := id.UnmarshalJSON([]byte(ref)); err != nil {
		return nil, err
	}
	return &pp.AutopayTransactionsResponse{Data: []pp.Transaction{{
		Status: pp.Status{Status: pp.StatusApproved, Reason: "00"}, InternalReference: id,
		Amount: &pp.AmountConversion{From: a, To: a, Factor: "1"},
	}}}, nil
}

// An approved settlement is stored whatever form PlacetoPay writes its amount in (trailing
// zeros beyond the currency's digits, an exponent, any currency of the autopay API), and
// never refused: one whose amount cannot be read exactly (a digit below the currency's
// minor unit, an unknown currency, a total of the wrong type) is stored in currency XXX, and
// goes to review once the gateway's own query confirms it, as one that does not match does.
func TestSettlementsInEveryPlacetoPayFormAreStored(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Pool(t)
	amount := func(currency, total string) pp.AmountBase {
		return pp.AmountBase{Currency: currency, Total: pp.Decimal(total)}
	}
	tests := []struct {
		name, ref, amount string
		queried           pp.AmountBase // what /autopay/transactions lists
		currency          string
		minor             int64
		status            string
	}{
		{"CLP with a trailing zero", "71001", `{"currency":"CLP","total":"2000.0"}`, amount("CLP", "2000"), "CLP", 2000, ChargeApproved},
		{"USD with three fraction digits", "71002", `{"currency":"USD","total":20.000}`, amount("USD", "20.00"), "USD", 2000, ChargeApproved},
		{"CAD", "71003", `{"currency":"CAD","total":"25.50"}`, amount("CAD", "25.5"), "CAD", 2550, ChargeApproved},
		{"AUD", "71004", `{"currency":"AUD","total":99.9}`, amount("AUD", "99.90"), "AUD", 9990, ChargeApproved},
		{"GBP with an exponent", "71005", `{"currency":"GBP","total":1.5E+1}`, amount("GBP", "15.0"), "GBP", 1500, ChargeApproved},
		{"COP as PHP writes it", "71006", `{"currency":"COP","total":1.0E+5}`, amount("COP", "100000.00"), "COP", 10000000, ChargeApproved},
		{"another amount than the query's", "71007", `{"currency":"USD","total":"10.00"}`, amount("USD", "12.00"), "USD", 1000, ChargeReview},
		{"a digit below the cent", "71008", `{"currency":"USD","total":"10.005"}`, amount("USD", "10.00"), "XXX", 0, ChargeReview},
		{"an unknown currency", "71009", `{"currency":"ZZZ","total":"10.00"}`, amount("USD", "10.00"), "XXX", 0, ChargeReview},
		{"a total of the wrong type", "71010", `{"currency":"USD","total":true}`, amount("USD", "10.00"), "XXX", 0, ChargeReview},
		{"a currency of the wrong type", "71011", `{"currency":840,"total":"10.00"}`, amount("USD", "10.00"), "XXX", 0, ChargeReview},
	}
	client := listing{amounts: map[string]pp.AmountBase{}}
	for _, tt := range tests {
		client.amounts[tt.ref] = tt.queried
	}
	s := NewService(NewStore(pool), client, "s3cret", zap.NewNop())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"reference":"ACC-1","id":"2972c13d-6315-4da3-80d7-64c24eb232ad","transaction":{"status":{"status":"APPROVED","reason":"00"},` +
				`"internalReference":` + tt.ref + `,"amount":` + tt.amount + `}}`
			if _, err := s.ReceiveSettlement(ctx, []byte(body)); err != nil {
				t.Fatalf("ReceiveSettlement: %v; an approved settlement must be stored", err)
			}
			var status, currency string
			var minor int64
			err := pool.QueryRow(ctx, `SELECT status, currency, amount_minor FROM autopay_charges WHERE internal_reference = $1`, tt.ref).
				Scan(&status, &currency, &minor)
			if err != nil {
				t.Fatal(err)
			}
			if status != tt.status || currency != tt.currency || minor != tt.minor {
				t.Errorf("charge %s %d %s; want %s %d %s", status, minor, currency, tt.status, tt.minor, tt.currency)
			}
		})
	}
}
