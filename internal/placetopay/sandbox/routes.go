package sandbox

import "net/http"

// routes is the sandbox's whole surface.
func (sb *Sandbox) routes() *http.ServeMux {
	mux := http.NewServeMux()

	// PlacetoPay Checkout (checkout-openapi.yaml), authenticated like PlacetoPay.
	mux.Handle("POST /api/session", sb.api(checkout, opSession, sb.handleCreateSession(checkout)))
	mux.Handle("POST /api/session/{id}", sb.api(checkout, opQuery, sb.handleQuerySession(checkout)))
	mux.Handle("POST /api/session/{id}/cancel", sb.api(checkout, opCancel, sb.handleCancelSession))
	mux.Handle("POST /api/collect", sb.api(checkout, opCollect, sb.handleCollect))
	mux.Handle("POST /api/transaction", sb.api(checkout, opTransaction, sb.handleTransaction))
	mux.Handle("POST /api/reverse", sb.api(checkout, opReverse, sb.handleLegacyReverse))
	mux.Handle("POST /api/instrument/invalidate", sb.api(checkout, opInvalidate, sb.handleInvalidate))

	// PlacetoPay autopay (autopay-openapi.yaml), on the same host.
	mux.Handle("POST /autopay/session", sb.api(autopayAPI, opAutopaySession, sb.handleCreateSession(autopayAPI)))
	mux.Handle("POST /autopay/session/{id}", sb.api(autopayAPI, opAutopayQuery, sb.handleQuerySession(autopayAPI)))
	mux.Handle("POST /autopay/search", sb.api(autopayAPI, opAutopaySearch, sb.handleAutopaySearch))
	mux.Handle("POST /autopay/cancel", sb.api(autopayAPI, opAutopayCancel, sb.handleAutopayCancel))
	mux.Handle("POST /autopay/transactions", sb.api(autopayAPI, opAutopayTransactions, sb.handleAutopayTransactions))

	// The hosted payment page, at each processUrl.
	mux.HandleFunc("GET /session/{id}/{key}", sb.handlePage)
	mux.HandleFunc("POST /session/{id}/{key}/pay", sb.handlePagePay)
	mux.HandleFunc("POST /session/{id}/{key}/cancel", sb.handlePageCancel)

	// The control API: no authentication, for tests and demos only. Never expose it.
	mux.HandleFunc("POST /sandbox/sessions/{id}/pay", sb.handleControlPay)
	mux.HandleFunc("POST /sandbox/sessions/{id}/recurring-charge", sb.handleControlRecurringCharge)
	mux.HandleFunc("GET /sandbox/sessions/{id}", sb.handleControlSession)
	mux.HandleFunc("GET /sandbox/clock", sb.handleControlClock)
	mux.HandleFunc("POST /sandbox/clock", sb.handleControlClock)
	mux.HandleFunc("GET /sandbox/approvals", sb.handleControlApprovals)
	mux.HandleFunc("GET /sandbox/transactions", sb.handleControlTransactions)
	mux.HandleFunc("POST /sandbox/transactions/{internalReference}/refund", sb.handleControlRefund)
	mux.HandleFunc("GET /sandbox/notifications", sb.handleControlNotifications)
	mux.HandleFunc("GET /sandbox/notifications/faults", sb.handleControlFaults)
	mux.HandleFunc("PUT /sandbox/notifications/faults", sb.handleControlFaults)
	mux.HandleFunc("GET /sandbox/faults", sb.handleControlAPIFaults)
	mux.HandleFunc("PUT /sandbox/faults", sb.handleControlAPIFaults)
	mux.HandleFunc("POST /sandbox/faults", sb.handleControlConditions)
	mux.HandleFunc("DELETE /sandbox/faults", sb.handleControlConditions)
	mux.HandleFunc("GET /sandbox/cards", sb.handleControlCards)
	mux.HandleFunc("POST /sandbox/autopay/{id}/charge", sb.handleControlAutopayCharge)
	mux.HandleFunc("GET /sandbox/autopay/calls", sb.handleControlAutopayCalls)

	// Anything else is PlacetoPay's 404 (docs/placetopay.md#cancel-a-session).
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		sb.fail(w, http.StatusNotFound, "NA", "Page not found")
	})
	return mux
}
