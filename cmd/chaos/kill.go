package main

import (
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/placetopay-gateway/gateway/internal/loadtest"
)

// killer SIGKILLs gateway replicas and starts them again: in turn on a ticker, and when a
// payment flow aims at the replica it sends an action to. One replica is killed and
// restarted by one caller at a time.
type killer struct {
	replicas []replica
	stdout   io.Writer
	kills    atomic.Int64
	aimed    atomic.Int64
	pending  sync.WaitGroup // aimed kills not done yet
}

type replica struct {
	*loadtest.Gateway
	mu *sync.Mutex // held from the kill until the restart
}

func newKiller(gateways []*loadtest.Gateway, stdout io.Writer) *killer {
	k := &killer{stdout: stdout}
	for _, g := range gateways {
		k.replicas = append(k.replicas, replica{Gateway: g, mu: &sync.Mutex{}})
	}
	return k
}

// every kills a replica, in turn, every d until stop is closed.
func (k *killer) every(d time.Duration, stop <-chan struct{}) {
	t := time.NewTicker(d)
	defer t.Stop()
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		k.kill(i % len(k.replicas))
	}
}

// aim picks the next replica in turn, kills it after delay and returns its URL: a call sent
// to it at once is cut short at some point of its way, most often while PlacetoPay is asked
// (SlowActions holds it there).
func (k *killer) aim(delay time.Duration) string {
	i := int(k.aimed.Add(1)-1) % len(k.replicas)
	k.pending.Add(1)
	go func() {
		defer k.pending.Done()
		time.Sleep(delay)
		k.kill(i)
	}()
	return k.replicas[i].URL
}

// wait waits for the aimed kills to be done, their replicas started again.
func (k *killer) wait() { k.pending.Wait() }

// kill SIGKILLs replica i and starts it again.
func (k *killer) kill(i int) {
	r := k.replicas[i]
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Kill()
	k.kills.Add(1)
	time.Sleep(300 * time.Millisecond)
	if err := r.Start(); err != nil {
		say(k.stdout, "restart %s: %v", r.Name, err)
	}
}
