package orders

import (
	"math"
	"time"
)

// The probe's cost. A session nobody pays is still queried until PlacetoPay calls it
// expired, since PlacetoPay's notification of an approval may never come. Querying it every
// probe interval costs a 30-minute session 35 queries for nothing. Instead, while nothing is
// pending, the checks spread out with the session's age (since its checkout was requested):
// after a check at age a the next comes max(interval, k·a) later, so an approval at any
// instant t is seen by the next check, no later than max(interval, k·age(t)) after t. k is the
// smallest factor for which the whole life of the session fits abandonedBudget queries: at
// most abandonedBudget-2 checks before its expiry, one at its expiry, one after the grace.
// With a one-minute interval a 5-minute session gets k = 0 (every interval), a 30-minute one
// 0.51, a 2-hour one 0.84 and a day-long one 1.53 (docs/benchmarks.md, "The probe's cost",
// has the table, and why a quarter of the age cannot be had within the budget).
// Sessions with a transaction pending keep the probe interval.

// abandonedBudget is the most queries a payment session nobody pays costs over its life,
// when PlacetoPay rejects it at its expiry (as it does) or within the grace after it.
const abandonedBudget = 10

// checkEarly is how much before its due time a check is set, so that the sweep that runs it
// (every sweepEvery) lands no later than that time.
func (c Config) checkEarly() time.Duration {
	return c.ProbeInterval - max(c.ProbeInterval-c.sweepEvery(), c.ProbeInterval/2)
}

// firstCheck is how long after a session opens it is first queried.
func (c Config) firstCheck() time.Duration { return c.ProbeInterval - c.checkEarly() }

// expiryGrace is how long after its expiry a session is queried once more, in case
// PlacetoPay's clock or a payment in flight keeps it open a little longer.
func (c Config) expiryGrace() time.Duration { return max(5*time.Minute, 2*c.ProbeInterval) }

// spacingFactor is k for a session living life: the smallest hundredth that fits the
// budget, found by bisection over the checks the schedule makes when every check runs as
// early as it may (later checks only spread the next ones further, and a larger k too).
func spacingFactor(cfg Config, life time.Duration) float64 {
	fits := func(k float64) bool {
		n := 0
		for age := cfg.firstCheck(); age < life; age = spacedAge(cfg, k, age, life) {
			if n++; n > abandonedBudget-2 {
				return false
			}
		}
		return true
	}
	if fits(0) {
		return 0
	}
	lo, hi := 0.0, 1.0
	for !fits(hi) {
		lo, hi = hi, 2*hi
	}
	for range 32 {
		if mid := (lo + hi) / 2; fits(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return math.Ceil(hi*100) / 100
}

// spacedAge is the age of the check after one at age, for factor k: at most the detection
// bound later, less the sweep's margin, and never past the expiry (at life).
func spacedAge(cfg Config, k float64, age, life time.Duration) time.Duration {
	return min(age+detectionBound(cfg, k, age)-cfg.checkEarly(), life)
}

// detectionBound is how long after an approval at age the probe is sure to have seen it.
func detectionBound(cfg Config, k float64, age time.Duration) time.Duration {
	return max(cfg.ProbeInterval, time.Duration(k*float64(age)))
}

// spacedCheck is when a session nothing is pending on, checked at now before its expiry, is
// next due.
func spacedCheck(cfg Config, sess Session, now time.Time) time.Time {
	life := sess.ExpiresAt.Sub(sess.CreatedAt)
	k := spacingFactor(cfg, life)
	return sess.CreatedAt.Add(spacedAge(cfg, k, now.Sub(sess.CreatedAt), life))
}

// ProbePlan is the probe's cost for one session nobody pays, which PlacetoPay rejects at its
// expiry: the ages at which it is queried when every check runs on time, and the factor k
// of its detection bound max(interval, k·age).
type ProbePlan struct {
	Checks []time.Duration
	Factor float64
}

// PlanAbandoned runs the schedule for a payment session of life opened with the probe
// interval, as the probe would.
func PlanAbandoned(interval, life time.Duration) ProbePlan {
	cfg := Config{PublicURL: "http://plan.invalid", ProbeInterval: interval}.withDefaults()
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	sess := Session{Kind: KindPayment, Attempt: AttemptOpen, Status: ProviderPending, CreatedAt: created, ExpiresAt: created.Add(life)}
	plan := ProbePlan{Factor: spacingFactor(cfg, life)}
	for now := created.Add(cfg.firstCheck()); ; {
		plan.Checks = append(plan.Checks, now.Sub(created))
		info := ProviderSession{Status: ProviderPending}
		if !now.Before(sess.ExpiresAt) {
			info.Status = ProviderRejected
		}
		_, next, _ := schedule(cfg, sess, info, now)
		if next == nil || len(plan.Checks) > 10*abandonedBudget {
			return plan
		}
		now = *next
	}
}
