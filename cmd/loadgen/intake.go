package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/placetopay-gateway/gateway/internal/loadtest"
)

// intakeResult is what the notification phases found: the intake's capacity against
// pgbench's rate for its own statements, its latency at half that, and how it holds at twice.
type intakeResult struct {
	capacity  float64 // notifications accepted per second, closed loop
	half      *phase  // open loop at half the capacity (or -notify-rate)
	over      *phase  // open loop at twice the capacity
	rssBefore int64   // gateway RSS before the notification phases
}

// intakeTarget is the p99 the notification endpoint must keep at half its capacity.
const intakeTarget = 20 * time.Millisecond

// notifier posts signed APPROVED notifications for the paid sessions, each with its own
// date so that each is stored as new, as a real one is. A 200 counts as accepted and its
// latency goes under "notification"; a 503 (the intake shedding load) under "notification
// refused", and both are counted as errors by status.
type notifier struct {
	client *loadtest.Client
	url    string
	secret string
	paid   []paidSession
	base   time.Time
	n      atomic.Int64
}

func newNotifier(c *loadtest.Client, url, secret string, paid []paidSession) *notifier {
	return &notifier{client: c, url: url, secret: secret, paid: paid, base: time.Now().Add(-time.Hour)}
}

// post sends the next notification; start is when it was due (open loop) or sent (closed).
func (nt *notifier) post(ctx context.Context, rec *loadtest.Recorder, start time.Time) bool {
	i := nt.n.Add(1) - 1
	s := nt.paid[int(i)%len(nt.paid)]
	date := nt.base.Add(-time.Duration(i/int64(len(nt.paid))) * time.Second).Format(time.RFC3339)
	body, _ := loadtest.Approval(s.requestID, s.reference, date, nt.secret)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, nt.url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := nt.client.HTTP.Do(req)
	if err != nil {
		rec.Error("notification: " + loadtest.Kind(err))
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		rec.Observe("notification", time.Since(start))
		return true
	case http.StatusServiceUnavailable:
		rec.Observe("notification refused", time.Since(start))
	}
	rec.Error("notification: http " + strconv.Itoa(resp.StatusCode))
	return false
}

// runIntake measures the notification endpoint: its capacity (closed loop, o.concurrency in
// flight), then open loop at half of it (or -notify-rate) and at twice.
func runIntake(ctx context.Context, o options, r *report, measure measureFunc, nt *notifier, rssBefore int64) {
	in := &intakeResult{rssBefore: rssBefore}
	r.intake = in
	names := []string{"notification", "notification refused"}
	cp := measure("notifications, closed loop", fmt.Sprintf("closed, %d in flight", o.concurrency), names, o.notifyFor,
		func(rec *loadtest.Recorder) int64 { return closedLoop(ctx, o.concurrency, o.notifyFor, rec, nt.post) })
	in.capacity = cp.rate()
	half := o.notifyRate
	label := "half capacity"
	if half <= 0 {
		half = in.capacity / 2
	} else {
		label = "a fixed rate"
	}
	in.half = measure("notifications, open loop at "+label, fmt.Sprintf("open, %.0f/s", half), names, o.notifyFor,
		func(rec *loadtest.Recorder) int64 { return openLoop(ctx, half, o.notifyFor, rec, nt.post) })
	over := 2 * in.capacity
	in.over = measure("notifications, open loop at twice capacity", fmt.Sprintf("open, %.0f/s", over), names, o.notifyFor,
		func(rec *loadtest.Recorder) int64 { return openLoop(ctx, over, o.notifyFor, rec, nt.post) })
}

// ratio is the intake's capacity over pgbench's rate for the intake's statements.
func (in *intakeResult) ratio(pg pgbenchResult) float64 {
	if pg.IntakeTPS == 0 {
		return 0
	}
	return in.capacity / pg.IntakeTPS
}

// summary is the intake's lines of the report, each prefixed with bullet.
func (in *intakeResult) summary(w io.Writer, pg pgbenchResult, bullet string) {
	if pg.IntakeTPS > 0 {
		fmt.Fprintf(w, "%snotification intake capacity (closed loop): %.1f/s = %.3f × pgbench's %.0f tps for the intake's own statements\n",
			bullet, in.capacity, in.ratio(pg), pg.IntakeTPS)
	} else {
		fmt.Fprintf(w, "%snotification intake capacity (closed loop): %.1f/s\n", bullet, in.capacity)
	}
	h := in.half.Rec.Latency("notification")
	verdict := "met"
	if h.N == 0 || h.P99 >= intakeTarget {
		verdict = "NOT met"
	}
	fmt.Fprintf(w, "%sat %s: p50 %s, p95 %s, p99 %s (target p99 < %s: %s), %d errors\n", bullet, in.half.Mode,
		loadtest.Ms(h.P50), loadtest.Ms(h.P95), loadtest.Ms(h.P99), loadtest.Ms(intakeTarget), verdict, in.half.Rec.ErrorCount())
	ok, refused := in.over.Rec.Latency("notification"), in.over.Rec.Latency("notification refused")
	fmt.Fprintf(w, "%sat %s (past capacity): accepted %.1f/s (p99 %s), refused 503 %d (p99 %s), other errors %d; gateway RSS %.1f MB before the notification phases, %.1f MB at most during this one\n",
		bullet, in.over.Mode, in.over.rate(), loadtest.Ms(ok.P99), refused.N, loadtest.Ms(refused.P99),
		in.over.Rec.ErrorCount()-refused.N, float64(in.rssBefore)/(1<<20), float64(in.over.Usage.MaxRSS)/(1<<20))
}
