package autopay

import (
	"errors"
	"testing"
	"time"

	"github.com/placetopay-gateway/gateway/internal/orders"
)

func TestValidateTerms(t *testing.T) {
	now := time.Date(2026, 11, 23, 22, 0, 0, 0, time.UTC)
	usd := func(minor int64) *orders.Money { m, _ := orders.NewMoney(minor, "USD"); return &m }
	day := func(d int) *int { return &d }
	periods := func(n int64) *int64 { return &n }
	valid := func() Terms {
		return Terms{Description: "Plan", DueDay: day(15), Amount: usd(2500),
			Recurring: &Recurring{Type: ChargeFixed, Periodicity: "M", Interval: 1, NextPayment: "2026-12-05"}}
	}
	tests := []struct {
		name  string
		edit  func(*Terms)
		field string // "" when valid
	}{
		{"valid fixed", func(*Terms) {}, ""},
		{"valid balance without amount", func(t *Terms) { t.Recurring.Type, t.Amount = ChargeTotalBalance, nil }, ""},
		{"next payment today", func(t *Terms) { t.Recurring.NextPayment = "2026-11-23" }, ""},
		{"no due day", func(t *Terms) { t.DueDay = nil }, ""},
		{"no limit", func(t *Terms) { t.Recurring.MaxPeriods = periods(-1) }, ""},
		{"due day 29", func(t *Terms) { t.DueDay = day(29) }, "dueDay"},
		{"due day 0", func(t *Terms) { t.DueDay = day(0) }, "dueDay"},
		{"fixed without amount", func(t *Terms) { t.Amount = nil }, "amount"},
		{"minimum balance with amount", func(t *Terms) { t.Recurring.Type = ChargeMinimumBalance }, "amount"},
		{"zero amount", func(t *Terms) { t.Amount = usd(0) }, "amount.total"},
		{"no recurring", func(t *Terms) { t.Recurring = nil }, "recurring"},
		{"unknown type", func(t *Terms) { t.Recurring.Type = "MONTHLY" }, "recurring.type"},
		{"weekly", func(t *Terms) { t.Recurring.Periodicity = "W" }, "recurring.periodicity"},
		{"interval 0", func(t *Terms) { t.Recurring.Interval = 0 }, "recurring.interval"},
		{"next payment yesterday", func(t *Terms) { t.Recurring.NextPayment = "2026-11-22" }, "recurring.nextPayment"},
		{"next payment not a date", func(t *Terms) { t.Recurring.NextPayment = "05/12/2026" }, "recurring.nextPayment"},
		{"bad due date", func(t *Terms) { t.Recurring.DueDate = "2026-13-01" }, "recurring.dueDate"},
		{"max periods 0", func(t *Terms) { t.Recurring.MaxPeriods = periods(0) }, "recurring.maxPeriods"},
		{"no description", func(t *Terms) { t.Description = "" }, "description"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			terms := valid()
			tt.edit(&terms)
			err := validateTerms(terms, now)
			var de *orders.Error
			switch {
			case tt.field == "" && err != nil:
				t.Fatalf("validateTerms = %v, want nil", err)
			case tt.field != "" && (!errors.As(err, &de) || de.Code != orders.EInvalid || de.Field != tt.field):
				t.Fatalf("validateTerms = %v, want invalid %s", err, tt.field)
			}
		})
	}
}
