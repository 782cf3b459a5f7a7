package main

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/placetopay-gateway/gateway/internal/http/contract/apiclient"
)

// TestGeneratedClientDrivesAPayment: a storefront whose only knowledge of the gateway is
// the OpenAPI document, through the client oapi-codegen generates from it, creates an
// order, opens its checkout, sees it paid once the shopper pays on the sandbox, reads the
// typed events and refunds part of it. Every answer is also checked against the document
// (harnessClient).
func TestGeneratedClientDrivesAPayment(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessConfig{})
	g := h.gateways[0]
	withKey := func(_ context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Bearer "+merchantAPIKey)
		return nil
	}
	client, err := apiclient.NewClientWithResponses(g.url, apiclient.WithHTTPClient(harnessClient), apiclient.WithRequestEditorFn(withKey))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	var total apiclient.Decimal
	if err := total.FromDecimalString("59.90"); err != nil {
		t.Fatal(err)
	}
	created, err := client.CreateOrderWithResponse(ctx, &apiclient.CreateOrderParams{IdempotencyKey: ptr("client-order-1")},
		apiclient.CreateOrder{Description: "Running shoes", Amount: apiclient.OrderAmountInput{Currency: "USD", Total: total},
			ReturnUrl: ptr(shopReturnURL)})
	if err != nil {
		t.Fatal(err)
	}
	o := created.JSON201
	if o == nil {
		t.Fatalf("createOrder = %d %s, want 201", created.StatusCode(), created.Body)
	}
	if o.Status != apiclient.OrderStatusPending || o.Amount.Total != "59.90" || o.ClientSecret == nil || *o.ClientSecret == "" {
		t.Fatalf("created order %+v, want pending, 59.90, with a client secret", o)
	}

	opened, err := client.CheckoutWithResponse(ctx, o.Id, &apiclient.CheckoutParams{}, apiclient.CheckoutRequest{Locale: ptr("es_CO")})
	if err != nil {
		t.Fatal(err)
	}
	if opened.JSON201 == nil || opened.JSON201.RequestId == 0 || opened.JSON201.ProcessUrl == "" {
		t.Fatalf("checkout = %d %s, want 201 with a requestId and a processUrl", opened.StatusCode(), opened.Body)
	}
	h.pay(opened.JSON201.RequestId, cardApprove)

	// The shopper's browser holds only the client secret: it reads the status view.
	bySecret := func(_ context.Context, req *http.Request) error {
		req.Header.Del("Authorization")
		req.Header.Set("X-Client-Secret", *o.ClientSecret)
		return nil
	}
	var view apiclient.OrderStatusView
	for deadline := time.Now().Add(15 * time.Second); view.Status != apiclient.OrderStatusPaid; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("order %s is %s after 15s, want paid", o.Id, view.Status)
		}
		got, err := client.GetOrderWithResponse(ctx, o.Id, &apiclient.GetOrderParams{Refresh: ptr(true)}, bySecret)
		if err != nil {
			t.Fatal(err)
		}
		if got.JSON200 == nil {
			t.Fatalf("getOrder with the client secret = %d %s, want 200", got.StatusCode(), got.Body)
		}
		if view, err = got.JSON200.AsOrderStatusView(); err != nil {
			t.Fatal(err)
		}
	}
	if view.PaidAmount.Total != "59.90" {
		t.Errorf("paid order shows paidAmount %+v, want 59.90", view.PaidAmount)
	}

	full, err := client.GetOrderWithResponse(ctx, o.Id, &apiclient.GetOrderParams{Refresh: ptr(false)})
	if err != nil || full.JSON200 == nil {
		t.Fatalf("getOrder with the API key: %v %s", err, full.Body)
	}
	paid, err := full.JSON200.AsOrder()
	if err != nil {
		t.Fatal(err)
	}
	if len(paid.Payments) != 1 || paid.Payments[0].Status != "APPROVED" || paid.Payments[0].Amount.Total != "59.90" {
		t.Fatalf("paid order's payments %+v, want one APPROVED of 59.90", paid.Payments)
	}

	var part apiclient.Decimal
	if err := part.FromDecimalString("10.00"); err != nil {
		t.Fatal(err)
	}
	refunded, err := client.RefundWithResponse(ctx, o.Id, &apiclient.RefundParams{IdempotencyKey: ptr("client-refund-1")},
		apiclient.RefundBody{Amount: &apiclient.AmountInput{Currency: "USD", Total: part}})
	if err != nil {
		t.Fatal(err)
	}
	r := refunded.JSON201
	if r == nil || r.Status != apiclient.RefundStatusSucceeded || r.Amount.Total != "10.00" || r.PaymentInternalReference != paid.Payments[0].InternalReference {
		t.Fatalf("refund = %d %s, want 201 succeeded of 10.00 on payment %d", refunded.StatusCode(), refunded.Body, paid.Payments[0].InternalReference)
	}

	// The events of the order, typed by their discriminator: paid, then refunded.
	var paidEvent *apiclient.OrderPaidEvent
	var refundEvent *apiclient.OrderRefundedEvent
	cursor := ""
	for deadline := time.Now().Add(15 * time.Second); refundEvent == nil; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("after 15s the feed lists paid %v and refunded %v, want both", paidEvent, refundEvent)
		}
		page, err := client.ListEventsWithResponse(ctx, &apiclient.ListEventsParams{After: ptr(cursor), Limit: ptr(100)})
		if err != nil || page.JSON200 == nil {
			t.Fatalf("listEvents: %v %s", err, page.Body)
		}
		for _, ev := range page.JSON200.Data {
			v, err := ev.ValueByDiscriminator()
			if err != nil {
				t.Fatal(err)
			}
			switch e := v.(type) {
			case apiclient.OrderPaidEvent:
				if e.OrderId == o.Id {
					paidEvent = &e
				}
			case apiclient.OrderRefundedEvent:
				if e.OrderId == o.Id {
					refundEvent = &e
				}
			default:
				t.Errorf("unexpected event %T", v)
			}
		}
		cursor = page.JSON200.NextCursor
	}
	if paidEvent == nil {
		t.Fatal("no order.paid event before the refund's")
	}
	if d := paidEvent.Data; d.Status != apiclient.OrderPaidDataStatusPaid || d.PreviousStatus != apiclient.OrderStatusPending ||
		d.PaidAmount.Total != "59.90" || d.Reference != o.Reference {
		t.Errorf("order.paid data %+v, want paid from pending, 59.90 paid, reference %s", d, o.Reference)
	}
	d := refundEvent.Data
	if d.Status != apiclient.OrderRefundedDataStatusPartiallyRefunded || d.PreviousStatus != apiclient.OrderStatusPaid ||
		d.RefundedAmount.Total != "10.00" || d.Refund == nil || d.Refund.Id != r.Id || d.Refund.Amount.Total != "10.00" {
		t.Errorf("order.refunded data %+v, want partially_refunded from paid, refund %s of 10.00", d, r.Id)
	}
	if refundEvent.Id == uuid.Nil || refundEvent.CreatedAt.Before(paidEvent.CreatedAt) {
		t.Errorf("refund event %s at %s, paid event at %s", refundEvent.Id, refundEvent.CreatedAt, paidEvent.CreatedAt)
	}
}

func ptr[T any](v T) *T { return &v }
