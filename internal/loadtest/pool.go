package loadtest

import (
	"bufio"
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// PoolUsage is what a gateway's database pool did during a phase, read from its /metrics.
type PoolUsage struct {
	MaxAcquired int     // the most connections in use at once, over the samples
	MaxConns    int     // the pool's size
	Waits       int64   // requests for a connection that had to wait for one
	WaitSeconds float64 // and how long they waited in all
	Samples     int
}

// PoolSampler scrapes a gateway's pool metrics every 50 ms until Done.
type PoolSampler struct {
	stop chan struct{}
	done chan PoolUsage
}

// SamplePool starts sampling the pool of the gateway whose admin listener is adminURL.
func SamplePool(adminURL string) *PoolSampler {
	s := &PoolSampler{stop: make(chan struct{}), done: make(chan PoolUsage, 1)}
	client := &http.Client{Timeout: 2 * time.Second}
	first, _ := scrapePool(client, adminURL)
	go func() {
		var u PoolUsage
		last := first
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			if m, err := scrapePool(client, adminURL); err == nil {
				u.Samples++
				u.MaxAcquired = max(u.MaxAcquired, int(m["gateway_db_pool_acquired_connections"]))
				last = m
			}
			select {
			case <-s.stop:
				u.MaxConns = int(last["gateway_db_pool_max_connections"])
				u.Waits = int64(last["gateway_db_pool_empty_acquires_total"] - first["gateway_db_pool_empty_acquires_total"])
				u.WaitSeconds = last["gateway_db_pool_empty_acquire_wait_seconds_total"] - first["gateway_db_pool_empty_acquire_wait_seconds_total"]
				s.done <- u
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// Done stops sampling and returns what the pool did.
func (s *PoolSampler) Done() PoolUsage {
	close(s.stop)
	return <-s.done
}

// scrapePool reads the gateway_db_pool_* samples of one scrape.
func scrapePool(client *http.Client, adminURL string) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, adminURL+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok || !strings.HasPrefix(name, "gateway_db_pool_") {
			continue
		}
		if v, err := strconv.ParseFloat(value, 64); err == nil {
			out[name] = v
		}
	}
	return out, sc.Err()
}
