package http

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the public listener's request metrics, labelled by route template (never the
// raw path, so ids cannot explode the series), method (a standard one or "other") and status
// class ("2xx".."5xx"). No label takes a value a client chooses freely: each has a fixed set.
type metrics struct {
	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	rateLimited *prometheus.CounterVec // by route template
}

func newMetrics(reg prometheus.Registerer) *metrics {
	labels := []string{"route", "method", "status_class"}
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_http_requests_total",
			Help: "HTTP requests served on the public listener, by route template, method and status class.",
		}, labels),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gateway_http_request_duration_seconds",
			Help:    "Time to serve HTTP requests on the public listener, by route template, method and status class.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, labels),
	}
	m.rateLimited = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gateway_http_rate_limited_total",
		Help: "Requests answered 429 because their client address went over GATEWAY_RATE_LIMIT, by route template.",
	}, []string{"route"})
	reg.MustRegister(m.requests, m.duration, m.rateLimited)
	return m
}

func (m *metrics) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			// Write the error response now so that its status is the one counted.
			c.Error(err)
		}
		route := c.Path()
		if route == "" || c.Response().Status == 404 && route == "/*" {
			route = "unmatched"
		}
		method, class := methodLabel(c.Request().Method), statusClass(c.Response().Status)
		m.requests.WithLabelValues(route, method, class).Inc()
		m.duration.WithLabelValues(route, method, class).Observe(time.Since(start).Seconds())
		return nil
	}
}

// standardMethods are the methods of RFC 9110 and RFC 5789 (PATCH): the only ones that
// label metrics as themselves.
var standardMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
	http.MethodConnect: true, http.MethodTrace: true,
}

// methodLabel is the request's method when it is a standard one, else "other": a client may
// send any token as a method, and every distinct label value is a new series.
func methodLabel(method string) string {
	if standardMethods[method] {
		return method
	}
	return "other"
}

// statusClass is "1xx".."5xx" for a status code; anything outside 100..599 is "other".
func statusClass(status int) string {
	if status < 100 || status > 599 {
		return "other"
	}
	return strconv.Itoa(status/100) + "xx"
}
