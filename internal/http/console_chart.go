package http

import (
	"strconv"

	"github.com/placetopay-gateway/gateway/internal/locale"
	"github.com/placetopay-gateway/gateway/internal/operators"
)

// barChart is an SVG bar chart drawn on the server: no script, no style attribute (the
// policy refuses inline styles; console.css colours the classes).
type barChart struct {
	Width, Height int
	Bars          []bar
	Max           int
	Title         string
}

type bar struct {
	X, Y, W, H int
	Label      string // the hour, under every third bar
	LabelX     int
	Tip        string // the bar's <title>: its hour and count
}

const (
	chartWidth, chartHeight = 480, 160
	chartBottom             = 140 // bars end here; hour labels below
)

// approvalsChart draws approvals per hour, oldest first.
func approvalsChart(l locale.Locale, hours []operators.HourCount) barChart {
	ch := barChart{Width: chartWidth, Height: chartHeight, Title: l.T("Approvals per hour, last 24 hours")}
	for _, h := range hours {
		ch.Max = max(ch.Max, h.Count)
	}
	if len(hours) == 0 {
		return ch
	}
	step := chartWidth / len(hours)
	for i, h := range hours {
		height := 0
		if ch.Max > 0 {
			height = h.Count * (chartBottom - 10) / ch.Max
		}
		b := bar{X: i*step + 2, Y: chartBottom - height, W: step - 4, H: height, LabelX: i*step + step/2,
			Tip: l.T("%s: %d approvals", h.Hour.UTC().Format("15:04")+" UTC", h.Count)}
		if i%3 == 0 {
			b.Label = h.Hour.UTC().Format("15") + "h"
		}
		ch.Bars = append(ch.Bars, b)
	}
	return ch
}

// percent writes a share for a page, or a dash when there is nothing to share.
func percent(n int, ok bool) string {
	if !ok {
		return "—"
	}
	return strconv.Itoa(n) + " %"
}
