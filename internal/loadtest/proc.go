package loadtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Proc is one child process (a gateway replica, the sandbox) with its output in a log file.
type Proc struct {
	Name string
	bin  string
	args []string
	env  []string
	log  string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// NewProc describes a process; Start runs it (again). Its stdout and stderr are appended to
// logPath.
func NewProc(name, bin string, args, env []string, logPath string) *Proc {
	return &Proc{Name: name, bin: bin, args: args, env: env, log: logPath}
}

// Start runs the process; it must not be running.
func (p *Proc) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil && !closed(p.done) {
		return fmt.Errorf("%s is already running", p.Name)
	}
	f, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(p.bin, p.args...)
	cmd.Env = p.env
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("start %s: %w", p.Name, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		f.Close()
		close(done)
	}()
	p.cmd, p.done = cmd, done
	return nil
}

// Pid is the running process's id, 0 when it is not running.
func (p *Proc) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || closed(p.done) {
		return 0
	}
	return p.cmd.Process.Pid
}

// Kill sends SIGKILL and waits for the process to be gone.
func (p *Proc) Kill() { p.signal(syscall.SIGKILL, 0) }

// Stop sends SIGTERM and waits up to 15 s, then SIGKILL.
func (p *Proc) Stop() { p.signal(syscall.SIGTERM, 15*time.Second) }

func (p *Proc) signal(sig syscall.Signal, grace time.Duration) {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil || closed(done) {
		return
	}
	_ = cmd.Process.Signal(sig)
	if grace > 0 {
		select {
		case <-done:
			return
		case <-time.After(grace):
			_ = cmd.Process.Kill()
		}
	}
	<-done
}

func closed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// FreeAddr returns a loopback address with a port nobody listens on right now.
func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// WaitHTTP polls url until it answers 200, the process exits or the deadline passes.
func WaitHTTP(ctx context.Context, p *Proc, url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	for {
		if p != nil && p.Pid() == 0 {
			return fmt.Errorf("%s exited before it was ready; see %s", p.Name, p.log)
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready at %s after %s", p.Name, url, timeout)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Usage is what a process has used so far: resident memory now and at its peak, and CPU
// time in user and system mode.
type Usage struct {
	RSS, PeakRSS int64 // bytes
	CPU          time.Duration
}

// ReadUsage reads /proc for pid (Linux only).
func ReadUsage(pid int) (Usage, error) {
	var u Usage
	status, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return u, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		switch name {
		case "VmRSS":
			u.RSS = kb << 10
		case "VmHWM":
			u.PeakRSS = kb << 10
		}
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return u, err
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	i := strings.LastIndexByte(string(stat), ')')
	if i < 0 {
		return u, errors.New("loadtest: unreadable /proc stat")
	}
	f := strings.Fields(string(stat)[i+1:])
	if len(f) < 13 {
		return u, errors.New("loadtest: short /proc stat")
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64) // field 14 of stat
	stime, _ := strconv.ParseInt(f[12], 10, 64) // field 15
	const ticks = 100                           // USER_HZ on Linux
	u.CPU = time.Duration(utime+stime) * time.Second / ticks
	return u, nil
}

// Sampler samples a process's resident memory while a phase runs, keeping the highest.
type Sampler struct {
	pid   int
	start Usage
	began time.Time
	stop  chan struct{}
	done  chan struct{}
	maxRS int64
}

// Sample starts sampling pid every 100 ms.
func Sample(pid int) *Sampler {
	s := &Sampler{pid: pid, began: time.Now(), stop: make(chan struct{}), done: make(chan struct{})}
	s.start, _ = ReadUsage(pid)
	s.maxRS = s.start.RSS
	go func() {
		defer close(s.done)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
				if u, err := ReadUsage(pid); err == nil && u.RSS > s.maxRS {
					s.maxRS = u.RSS
				}
			}
		}
	}()
	return s
}

// PhaseUsage is a process's use of the machine during one phase.
type PhaseUsage struct {
	MaxRSS int64   // bytes, highest sample
	CPU    float64 // cores: CPU time over wall time
}

// Done stops sampling and returns the phase's usage.
func (s *Sampler) Done() PhaseUsage {
	close(s.stop)
	<-s.done
	end, _ := ReadUsage(s.pid)
	wall := time.Since(s.began)
	if end.RSS > s.maxRS {
		s.maxRS = end.RSS
	}
	return PhaseUsage{MaxRSS: s.maxRS, CPU: (end.CPU - s.start.CPU).Seconds() / wall.Seconds()}
}
