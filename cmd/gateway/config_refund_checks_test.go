package main

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestRefundChecksDefaultToSixChecksOverAMonth(t *testing.T) {
	cfg, err := loadConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{time.Hour, 6 * time.Hour, 24 * time.Hour, 72 * time.Hour, 168 * time.Hour, 720 * time.Hour}
	if !slices.Equal(cfg.RefundChecks, want) {
		t.Errorf("RefundChecks = %v, want %v", cfg.RefundChecks, want)
	}
	if got := cfg.logFields()["GATEWAY_REFUND_CHECKS"]; got != "1h0m0s,6h0m0s,24h0m0s,72h0m0s,168h0m0s,720h0m0s" {
		t.Errorf("logged GATEWAY_REFUND_CHECKS = %v", got)
	}
}

func TestRefundChecksTakeAListOrOff(t *testing.T) {
	for _, tt := range []struct {
		value string
		want  []time.Duration
	}{
		{"off", []time.Duration{}},
		{"30m", []time.Duration{30 * time.Minute}},
		{" 2h , 48h ", []time.Duration{2 * time.Hour, 48 * time.Hour}},
	} {
		cfg, err := loadConfig([]string{"GATEWAY_REFUND_CHECKS=" + tt.value})
		if err != nil {
			t.Fatalf("GATEWAY_REFUND_CHECKS=%q: %v", tt.value, err)
		}
		if !slices.Equal(cfg.RefundChecks, tt.want) {
			t.Errorf("GATEWAY_REFUND_CHECKS=%q gives %v, want %v", tt.value, cfg.RefundChecks, tt.want)
		}
	}
}

func TestRefundChecksRefuseAnUnusableList(t *testing.T) {
	for _, tt := range []struct{ value, says string }{
		{"1h,soon", `"soon" is not a Go duration`},
		{"6h,1h", "increasing order"},
		{"1h,1h", "increasing order"},
		{"10s", "between 1m0s"},
		{"9000h", "between 1m0s"},
		{"1h,", `"" is not a Go duration`},
		{strings.Repeat("1h,", 20) + "1h", "at most 20"},
	} {
		_, err := loadConfig([]string{"GATEWAY_REFUND_CHECKS=" + tt.value})
		if err == nil {
			t.Errorf("GATEWAY_REFUND_CHECKS=%q was accepted", tt.value)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, "GATEWAY_REFUND_CHECKS") || !strings.Contains(msg, tt.says) || strings.Contains(msg, "\n") {
			t.Errorf("GATEWAY_REFUND_CHECKS=%q: error %q, want one line naming the variable and saying %q", tt.value, msg, tt.says)
		}
	}
}
