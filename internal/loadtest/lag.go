package loadtest

import (
	"io"
	"net"
	"sync"
	"time"
)

// Lag is a TCP proxy between a standby and its primary that delivers what the primary sends
// Delay late, as to a standby in another zone or one that has fallen behind. What the
// standby sends (its replies, which a synchronous commit waits for) passes at once. When the
// primary's side of a connection ends, what the standby has not been given yet is dropped
// with it: it was still on the primary when the primary died.
type Lag struct {
	Delay  time.Duration
	Target string // the primary's host:port

	ln   net.Listener
	wg   sync.WaitGroup
	mu   sync.Mutex
	open map[net.Conn]bool
}

// chunk is what the primary sent in one read, and when.
type chunk struct {
	data []byte
	at   time.Time
}

// Listen serves the proxy on a loopback port and returns its host:port.
func (l *Lag) Listen() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	l.ln, l.open = ln, map[net.Conn]bool{}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			l.wg.Add(1)
			go func() {
				defer l.wg.Done()
				l.serve(c)
			}()
		}
	}()
	return ln.Addr().String(), nil
}

// Close stops the proxy and cuts its connections.
func (l *Lag) Close() {
	if l.ln == nil {
		return
	}
	_ = l.ln.Close()
	l.mu.Lock()
	for c := range l.open {
		_ = c.Close()
	}
	l.mu.Unlock()
	l.wg.Wait()
}

func (l *Lag) track(c net.Conn, on bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if on {
		l.open[c] = true
	} else {
		delete(l.open, c)
	}
}

func (l *Lag) serve(standby net.Conn) {
	defer standby.Close()
	primary, err := net.DialTimeout("tcp", l.Target, 5*time.Second)
	if err != nil {
		return
	}
	defer primary.Close()
	l.track(standby, true)
	l.track(primary, true)
	defer l.track(standby, false)
	defer l.track(primary, false)
	go func() {
		_, _ = io.Copy(primary, standby)
		_ = primary.Close()
	}()
	queue := make(chan chunk, 1<<14)
	gone := make(chan struct{}) // the primary's side ended
	quit := make(chan struct{}) // serve returned
	defer close(quit)
	go func() {
		defer close(gone)
		for {
			buf := make([]byte, 32<<10)
			n, err := primary.Read(buf)
			if n > 0 {
				select {
				case queue <- chunk{data: buf[:n], at: time.Now()}:
				case <-quit:
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	for {
		select {
		case <-gone:
			return // drop what is queued
		case c := <-queue:
			select {
			case <-gone:
				return
			case <-time.After(time.Until(c.at.Add(l.Delay))):
			}
			if _, err := standby.Write(c.data); err != nil {
				return
			}
		}
	}
}
