package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"time"
)

// feedEvent is an event as GET /v1/events lists it: an order's (orderId) or an autopay
// enrolment's (enrolmentId).
type feedEvent struct {
	ID          string         `json:"id"`
	Type        string         `json:"type"`
	OrderID     string         `json:"orderId"`
	EnrolmentID string         `json:"enrolmentId"`
	Data        map[string]any `json:"data"`
	CreatedAt   time.Time      `json:"createdAt"`
}

// feed reads g's whole events feed as it stands, oldest first. Every page goes through
// harnessClient, so each event is also checked against the OpenAPI document.
func (h *harness) feed(g *runningGateway) []feedEvent {
	h.t.Helper()
	var all []feedEvent
	cursor := ""
	for {
		code, raw := h.call(g, http.MethodGet, "/v1/events?limit=100&after="+url.QueryEscape(cursor), nil)
		if code != http.StatusOK {
			h.t.Fatalf("GET /v1/events = %d %s", code, raw)
		}
		var page struct {
			Data       []feedEvent `json:"data"`
			NextCursor string      `json:"nextCursor"`
		}
		if err := json.Unmarshal(raw, &page); err != nil {
			h.t.Fatalf("decode events page %s: %v", raw, err)
		}
		all = append(all, page.Data...)
		if len(page.Data) < 100 {
			return all
		}
		cursor = page.NextCursor
	}
}

// waitEvents reads g's feed until it lists n events that keep accepts, and returns them; it
// fails at the deadline, or when more than n are listed.
func (h *harness) waitEvents(g *runningGateway, n int, within time.Duration, keep func(feedEvent) bool) []feedEvent {
	h.t.Helper()
	deadline := time.Now().Add(within)
	for {
		var got []feedEvent
		for _, ev := range h.feed(g) {
			if keep(ev) {
				got = append(got, ev)
			}
		}
		if len(got) > n {
			h.t.Fatalf("the feed lists %d such events, want %d: %+v", len(got), n, got)
		}
		if len(got) == n {
			return got
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("the feed lists %d such events after %s, want %d: %+v", len(got), within, n, got)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ofOrder keeps the events of type typ about order id.
func ofOrder(id, typ string) func(feedEvent) bool {
	return func(ev feedEvent) bool { return ev.OrderID == id && ev.Type == typ }
}

// member returns data's object member name, or nil.
func member(data map[string]any, name string) map[string]any {
	m, _ := data[name].(map[string]any)
	return m
}

// integer returns a JSON number decoded as float64 as an int64; 0 for anything else.
func integer(v any) int64 {
	f, _ := v.(float64)
	return int64(f)
}
