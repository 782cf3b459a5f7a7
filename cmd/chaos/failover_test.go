package main

import (
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/placetopay-gateway/gateway/internal/loadtest"
)

func TestMultiHostURLNamesEveryServerAndAsksForThePrimary(t *testing.T) {
	u := multiHostURL("gateway", "127.0.0.1:5001", "127.0.0.1:5002")
	if want := "postgres://postgres@127.0.0.1:5001,127.0.0.1:5002/gateway?target_session_attrs=read-write&sslmode=disable"; u != want {
		t.Errorf("multiHostURL = %s, want %s", u, want)
	}
	cfg, err := pgxpool.ParseConfig(u)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ConnConfig.Port != 5001 || len(cfg.ConnConfig.Fallbacks) != 1 || cfg.ConnConfig.Fallbacks[0].Port != 5002 || cfg.ConnConfig.ValidateConnect == nil {
		t.Errorf("pgx reads %s as port %d with %d fallback(s)", u, cfg.ConnConfig.Port, len(cfg.ConnConfig.Fallbacks))
	}
	// The run recreates the database and checks it through the same URL.
	if name := loadtest.DatabaseName(u); name != "gateway" {
		t.Errorf("DatabaseName = %q", name)
	}
	if admin, _ := loadtest.WithDatabase(u, "postgres"); admin != "postgres://postgres@127.0.0.1:5001,127.0.0.1:5002/postgres?target_session_attrs=read-write&sslmode=disable" {
		t.Errorf("WithDatabase = %s", admin)
	}
}

func TestCheckAckedCountsWhatTheDatabaseLost(t *testing.T) {
	r := &result{checks: map[string][]string{}, waiting: map[string][]string{}}
	payments := []*payment{
		{reference: "kept", orderID: "o1", requestID: 11},
		{reference: "session-lost", orderID: "o2", requestID: 12},
		{reference: "order-lost", orderID: "o3"},
		{reference: "never-created"}, // its create failed: nothing was acknowledged
	}
	orders := []orderRow{{reference: "kept"}, {reference: "session-lost"}}
	r.checkAcked(orders, map[int64]bool{11: true}, payments)
	if r.lostOrders != 1 || r.lostSessions != 1 || len(r.checks[checkAcked]) != 2 || r.settled() {
		t.Errorf("lost %d orders and %d sessions, %d violations (settled %v); want 1, 1, 2, not settled", r.lostOrders, r.lostSessions, len(r.checks[checkAcked]), r.settled())
	}
}
