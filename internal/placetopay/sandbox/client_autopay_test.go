package sandbox_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/placetopay-gateway/gateway/internal/placetopay"
	"github.com/placetopay-gateway/gateway/internal/placetopay/sandbox"
)

// autopayView is what the tests compare of an autopay the client decoded.
type autopayView struct {
	Status, Reference, Description string
	Amount                         *placetopay.Amount
	Type, Periodicity, NextPayment string
	Interval                       placetopay.Int64
	Token, LastDigits              string
	DueDay                         placetopay.Int64
	SessionID                      string
}

func viewAutopay(a placetopay.Autopay) autopayView {
	v := autopayView{Status: statusOf(a.Status)}
	if s := a.Subscription; s != nil {
		v.Reference, v.Description, v.Amount = string(s.Reference), s.Description, s.Amount
		if r := s.Recurring; r != nil {
			v.Type, v.Periodicity, v.NextPayment, v.Interval = r.Type, r.Periodicity, r.NextPayment, r.Interval
		}
	}
	if a.Instrument != nil && a.Instrument.Token != nil {
		v.Token, v.LastDigits = a.Instrument.Token.Token, string(a.Instrument.Token.LastDigits)
	}
	if a.Additional != nil {
		v.DueDay, v.SessionID = a.Additional.DueDay, a.Additional.SessionID
	}
	return v
}

// TestClientAutopay runs an autopay through every autopay operation the client has: create,
// query, search, transactions, edit and cancel, with their documented errors.
func TestClientAutopay(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()

	created, err := e.client.CreateAutopaySession(ctx, autopayRequest("AP-1"))
	if err != nil {
		t.Fatalf("CreateAutopaySession: %v", err)
	}
	wantStatus(t, "create", created.Status, "OK/PC")
	if !strings.HasPrefix(created.ProcessURL, fmt.Sprintf("%s/session/%d/", e.url, created.RequestID)) {
		t.Errorf("processUrl %q", created.ProcessURL)
	}

	info, err := e.client.QueryAutopaySession(ctx, int64(created.RequestID))
	if err != nil {
		t.Fatalf("QueryAutopaySession before authorization: %v", err)
	}
	wantStatus(t, "session before authorization", info.Status, "PENDING/PT")
	if info.RequestID != created.RequestID {
		t.Errorf("requestId %d, want %d", info.RequestID, created.RequestID)
	}
	if aps, err := info.Autopays(); err != nil || len(aps) != 0 {
		t.Errorf("Autopays() before authorization = %v, %v; want none", aps, err)
	}

	ctl := e.pay(int64(created.RequestID), visaApprove)
	if ctl.AutopayID == "" {
		t.Fatalf("the sandbox enrolled no autopay: %+v", ctl)
	}
	id := ctl.AutopayID
	want := autopayView{
		Status: "APPROVED/00", Reference: "AP-1", Description: "Monthly plan AP-1",
		Amount: &placetopay.Amount{Currency: "USD", Total: "25.50"},
		Type:   "FIXED", Periodicity: "M", NextPayment: "2026-04-05", Interval: 1,
		Token: ctl.Token["token"], LastDigits: "0081", DueDay: 5, SessionID: strconv.FormatInt(int64(created.RequestID), 10),
	}

	t.Run("query", func(t *testing.T) {
		info, err := e.client.QueryAutopaySession(ctx, int64(created.RequestID))
		if err != nil {
			t.Fatalf("QueryAutopaySession: %v", err)
		}
		wantStatus(t, "session", info.Status, "APPROVED/00")
		aps, err := info.Autopays()
		if err != nil || len(aps) != 1 {
			t.Fatalf("Autopays() = %v, %v; want one", aps, err)
		}
		if aps[0].ID != id {
			t.Errorf("autopay id %q, want %q", aps[0].ID, id)
		}
		if d := cmp.Diff(want, viewAutopay(aps[0]), sameValue); d != "" {
			t.Errorf("queried autopay (-want +got):\n%s", d)
		}
		// The Checkout query of the same session decodes too.
		checkout := e.query(created.RequestID)
		wantStatus(t, "checkout query", checkout.Status, "APPROVED/00")
		if d := cmp.Diff(info, checkout, cmpopts.IgnoreFields(placetopay.SessionInformation{}, "Autopay")); d != "" {
			t.Errorf("autopay and checkout queries differ (-autopay +checkout):\n%s", d)
		}
	})

	search := func(t *testing.T, f *placetopay.AutopaySearchFilters, p *placetopay.PaginationRequest) *placetopay.AutopaySearchResponse {
		t.Helper()
		resp, err := e.client.SearchAutopay(ctx, placetopay.AutopaySearchRequest{Filters: f, Pagination: p, Locale: "es_CO"})
		if err != nil {
			t.Fatalf("SearchAutopay: %v", err)
		}
		wantStatus(t, "search", resp.Status, "OK/00")
		return resp
	}
	t.Run("search", func(t *testing.T) {
		cases := []struct {
			name    string
			filters *placetopay.AutopaySearchFilters
			found   int
		}{
			{"no filter", nil, 1},
			{"by id", &placetopay.AutopaySearchFilters{ID: id}, 1},
			{"by reference", &placetopay.AutopaySearchFilters{Reference: "AP-1"}, 1},
			{"by another reference", &placetopay.AutopaySearchFilters{Reference: "AP-2"}, 0},
			{"by charge type", &placetopay.AutopaySearchFilters{ChargeTypes: []string{"FIXED"}}, 1},
			{"by another charge type", &placetopay.AutopaySearchFilters{ChargeTypes: []string{"TOTAL_BALANCE"}}, 0},
			{"approved", &placetopay.AutopaySearchFilters{Status: []string{placetopay.StatusApproved}}, 1},
			{"rejected", &placetopay.AutopaySearchFilters{Status: []string{placetopay.StatusRejected}}, 0},
			{"created today", &placetopay.AutopaySearchFilters{CreatedAt: &placetopay.DateRange{From: "2026-03-02", To: "2026-03-02"}}, 1},
			{"created later", &placetopay.AutopaySearchFilters{CreatedAt: &placetopay.DateRange{From: "2026-03-03"}}, 0},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				resp := search(t, tc.filters, nil)
				if len(resp.Data) != tc.found || resp.Pagination == nil || int(resp.Pagination.Total) != tc.found {
					t.Fatalf("found %d (pagination %+v), want %d", len(resp.Data), resp.Pagination, tc.found)
				}
				if tc.found == 1 {
					if d := cmp.Diff(want, viewAutopay(resp.Data[0]), sameValue); d != "" {
						t.Errorf("found autopay (-want +got):\n%s", d)
					}
				}
			})
		}
	})

	charge := func(t *testing.T, c sandbox.AutopayCharge) sandbox.ChargeRecord {
		t.Helper()
		tx, err := e.control.ChargeAutopay(ctx, id, c)
		if err != nil {
			t.Fatal(err)
		}
		return tx
	}
	t.Run("transactions", func(t *testing.T) {
		first := charge(t, sandbox.AutopayCharge{})
		second := charge(t, sandbox.AutopayCharge{Amount: &placetopay.AmountBase{Currency: "USD", Total: "30.05"}})
		resp, err := e.client.AutopayTransactions(ctx, placetopay.AutopayTransactionsRequest{ID: id, Locale: "es_CO"})
		if err != nil {
			t.Fatalf("AutopayTransactions: %v", err)
		}
		wantStatus(t, "transactions", resp.Status, "OK/00")
		if len(resp.Data) != 2 || resp.Pagination == nil || resp.Pagination.Total != 2 {
			t.Fatalf("%d transactions (pagination %+v), want 2", len(resp.Data), resp.Pagination)
		}
		for i, w := range []struct {
			tx    sandbox.ChargeRecord
			total placetopay.Decimal
		}{{second, "30.05"}, {first, "25.50"}} { // newest first
			checkTx(t, resp.Data[i], txWant{
				status: "APPROVED", reason: "00", ref: w.tx.InternalReference, reference: "AP-1", total: w.total,
				currency: "USD", franchise: "CR_VS", method: "visa", lastDigits: "0081",
			})
		}
		one, err := e.client.AutopayTransactions(ctx, placetopay.AutopayTransactionsRequest{
			ID: id, Filters: &placetopay.AutopayTransactionFilters{InternalReference: strconv.FormatInt(first.InternalReference, 10)},
		})
		if err != nil {
			t.Fatalf("AutopayTransactions by internal reference: %v", err)
		}
		if len(one.Data) != 1 || int64(one.Data[0].InternalReference) != first.InternalReference {
			t.Errorf("filtered transactions %+v, want only %d", one.Data, first.InternalReference)
		}
		t.Run("filtered by amount", func(t *testing.T) {
			// autopay-openapi.yaml documents filters.amount {currency, total} and the client
			// sends it: only the charge of that amount must come back.
			byAmount, err := e.client.AutopayTransactions(ctx, placetopay.AutopayTransactionsRequest{
				ID: id, Filters: &placetopay.AutopayTransactionFilters{Amount: &placetopay.AmountBase{Currency: "USD", Total: "30.05"}},
			})
			if err != nil {
				t.Fatalf("AutopayTransactions by amount: %v", err)
			}
			var got []int64
			for _, d := range byAmount.Data {
				got = append(got, int64(d.InternalReference))
			}
			if d := cmp.Diff([]int64{second.InternalReference}, got); d != "" {
				t.Errorf("transactions filtered by USD 30.05 (-want +got):\n%s", d)
			}
		})
		t.Run("refund of a charge", func(t *testing.T) {
			resp, err := e.client.TransactionAction(ctx, placetopay.TransactionRequest{
				InternalReference: placetopay.Int64(first.InternalReference), Action: placetopay.ActionReverse, Amount: usd("5.50"),
			})
			if err != nil {
				t.Fatalf("reverse an autopay charge: %v", err)
			}
			if resp.Payment == nil || resp.Payment.Reference != "AP-1" || !cmp.Equal(resp.Payment.Amount.From.Total, placetopay.Decimal("5.50"), sameValue) {
				t.Errorf("reverse answered %+v", resp.Payment)
			}
		})
		byStatus, err := e.client.AutopayTransactions(ctx, placetopay.AutopayTransactionsRequest{
			ID: id, Filters: &placetopay.AutopayTransactionFilters{Status: []string{placetopay.StatusRejected}},
		})
		if err != nil {
			t.Fatalf("AutopayTransactions by status: %v", err)
		}
		if len(byStatus.Data) != 0 {
			t.Errorf("%d rejected transactions, want none", len(byStatus.Data))
		}
		page, err := e.client.AutopayTransactions(ctx, placetopay.AutopayTransactionsRequest{
			ID: id, Pagination: &placetopay.PaginationRequest{PerPage: 1, CurrentPage: 2},
		})
		if err != nil {
			t.Fatalf("AutopayTransactions page 2: %v", err)
		}
		wantPage := &placetopay.Pagination{Total: 2, PerPage: 1, CurrentPage: 2, LastPage: 2}
		if d := cmp.Diff(wantPage, page.Pagination); d != "" || len(page.Data) != 1 || int64(page.Data[0].InternalReference) != first.InternalReference {
			t.Errorf("page 2: %d transactions, pagination (-want +got):\n%s", len(page.Data), d)
		}
	})

	t.Run("edit", func(t *testing.T) {
		req := autopayRequest("AP-1")
		req.Autopay.Action, req.Autopay.ID, req.Autopay.Description = "EDIT", id, "Monthly plan, new card"
		req.Autopay.Amount = &placetopay.Amount{Currency: "USD", Total: "27.00"}
		edit, err := e.client.CreateAutopaySession(ctx, req)
		if err != nil {
			t.Fatalf("CreateAutopaySession EDIT: %v", err)
		}
		ctl := e.pay(int64(edit.RequestID), masterApprove)
		info, err := e.client.QueryAutopaySession(ctx, int64(edit.RequestID))
		if err != nil {
			t.Fatalf("QueryAutopaySession EDIT: %v", err)
		}
		aps, err := info.Autopays()
		if err != nil || len(aps) != 1 || aps[0].ID != id {
			t.Fatalf("Autopays() after EDIT = %+v, %v; want %s", aps, err, id)
		}
		w := want
		w.Description, w.Amount = "Monthly plan, new card", &placetopay.Amount{Currency: "USD", Total: "27.00"}
		w.Token, w.LastDigits, w.SessionID = ctl.Token["token"], "0005", strconv.FormatInt(int64(edit.RequestID), 10)
		if d := cmp.Diff(w, viewAutopay(aps[0]), sameValue); d != "" {
			t.Errorf("edited autopay (-want +got):\n%s", d)
		}
		want = w
	})

	t.Run("cancel", func(t *testing.T) {
		resp, err := e.client.CancelAutopay(ctx, placetopay.AutopayCancelRequest{ID: id, Locale: "es_CO"})
		if err != nil {
			t.Fatalf("CancelAutopay: %v", err)
		}
		wantStatus(t, "cancel", resp.Status, "OK/00")
		if resp.ID != id {
			t.Errorf("cancel answered id %q, want %q", resp.ID, id)
		}
		found := search(t, &placetopay.AutopaySearchFilters{ID: id}, nil)
		if len(found.Data) != 1 {
			t.Fatalf("search after cancel found %d", len(found.Data))
		}
		wantStatus(t, "cancelled autopay", found.Data[0].Status, "REJECTED/?C")
		if rejected := search(t, &placetopay.AutopaySearchFilters{Status: []string{placetopay.StatusRejected}}, nil); len(rejected.Data) != 1 {
			t.Errorf("search for rejected autopays found %d, want 1", len(rejected.Data))
		}
		_, err = e.client.CancelAutopay(ctx, placetopay.AutopayCancelRequest{ID: id})
		wantAPIError(t, err, http.StatusBadRequest, "BR", "already cancelled")
		// A cancelled autopay is not charged any more, and cannot be edited.
		_, err = e.control.ChargeAutopay(ctx, id, sandbox.AutopayCharge{})
		wantRefused(t, err, http.StatusConflict)
		req := autopayRequest("AP-1")
		req.Autopay.Action, req.Autopay.ID = "EDIT", id
		_, err = e.client.CreateAutopaySession(ctx, req)
		wantAPIError(t, err, http.StatusBadRequest, "BR", "does not exist or is not active")
	})

	t.Run("errors", func(t *testing.T) {
		_, err := e.client.CancelAutopay(ctx, placetopay.AutopayCancelRequest{ID: someUUID})
		wantAPIError(t, err, http.StatusBadRequest, "BR", "The selected id is invalid.")
		_, err = e.client.AutopayTransactions(ctx, placetopay.AutopayTransactionsRequest{ID: someUUID})
		wantAPIError(t, err, http.StatusBadRequest, "BR", "The selected id is invalid.")
		_, err = e.client.QueryAutopaySession(ctx, 99)
		wantAPIError(t, err, http.StatusNotFound, "request_not_valid", "The requested session does not exist")
		req := autopayRequest("AP-X")
		req.Autopay.Action, req.Autopay.ID = "EDIT", someUUID
		_, err = e.client.CreateAutopaySession(ctx, req)
		wantAPIError(t, err, http.StatusBadRequest, "BR", "does not exist or is not active")
	})
}
