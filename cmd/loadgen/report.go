package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/placetopay-gateway/gateway/internal/loadtest"
)

type report struct {
	opts             options
	started          time.Time
	machine          string
	pgbench          pgbenchResult
	phases           []*phase
	checkoutCapacity float64 // create-order + checkout per second, closed loop
	openRate         float64
	gatewayPeakRSS   int64
	latency          *latencyResult
	fullFlows        *phase        // full flows, closed loop
	intake           *intakeResult // the notification phases
}

// describeMachine is the CPU, core count, memory and software versions.
func describeMachine() string {
	cpu := "unknown CPU"
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		s := bufio.NewScanner(f)
		for s.Scan() {
			if k, v, ok := strings.Cut(s.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		if _, err := fmt.Sscanf(strings.TrimPrefix(strings.SplitN(string(b), "\n", 2)[0], "MemTotal:"), "%d", &kb); err == nil {
			mem = fmt.Sprintf(", %.0f GiB RAM", float64(kb)/(1<<20))
		}
	}
	pg := ""
	if p, err := loadtest.PgBinary("postgres"); err == nil {
		if out, err := exec.Command(p, "--version").Output(); err == nil {
			pg = ", " + strings.TrimSpace(string(out))
		}
	}
	return fmt.Sprintf("%s, %d cores%s, %s%s, %s/%s", cpu, runtime.NumCPU(), mem, runtime.Version(), pg, runtime.GOOS, runtime.GOARCH)
}

func (r *report) ratio() float64 {
	if r.pgbench.TPS == 0 {
		return 0
	}
	return r.checkoutCapacity / r.pgbench.TPS
}

// flowLines are the full flows' rate against pgbench's and the database transactions per
// flow, each line prefixed with bullet.
func (r *report) flowLines(w io.Writer, bullet string) {
	p := r.fullFlows
	if p == nil || p.Done == 0 {
		return
	}
	if r.pgbench.TPS > 0 {
		fmt.Fprintf(w, "%sfull flows (closed loop): %.1f/s = %.3f × pgbench tps of the same writes\n", bullet, p.rate(), p.rate()/r.pgbench.TPS)
	}
	if p.Transactions > 0 {
		fmt.Fprintf(w, "%sdatabase transactions per full flow (pg_stat_database, each statement outside BEGIN … COMMIT counts one): %.1f\n",
			bullet, float64(p.Transactions)/float64(p.Done))
	}
}

func (r *report) print(w io.Writer) {
	fmt.Fprintf(w, "\n== loadgen report (%s) ==\n", r.started.Format(time.RFC3339))
	fmt.Fprintf(w, "machine: %s\n", r.machine)
	if r.pgbench.TPS > 0 {
		fmt.Fprintf(w, "pgbench (one flow's writes per transaction, %d clients, %.0f s): %.0f tps\n",
			r.pgbench.Clients, r.pgbench.Seconds, r.pgbench.TPS)
		fmt.Fprintf(w, "pgbench (one notification's intake statements per transaction, %d clients, %.0f s): %.0f tps\n",
			r.pgbench.Clients, r.pgbench.Seconds, r.pgbench.IntakeTPS)
		fmt.Fprintf(w, "create-order + checkout capacity: %.1f/s = %.3f × pgbench tps (target ≥ 0.25)\n",
			r.checkoutCapacity, r.ratio())
	}
	r.flowLines(w, "")
	if r.intake != nil {
		r.intake.summary(w, r.pgbench, "")
	}
	for _, p := range r.phases {
		fmt.Fprintf(w, "\n%s [%s, %.1f s]\n", p.Name, p.Mode, p.Elapsed.Seconds())
		fmt.Fprintf(w, "  completed: %d (%.1f/s)\n", p.Done, p.rate())
		for _, n := range p.Names {
			l := p.Rec.Latency(n)
			if l.N == 0 {
				continue
			}
			fmt.Fprintf(w, "  %-26s n=%-6d p50 %-9s p95 %-9s p99 %-9s max %s\n", n, l.N, loadtest.Ms(l.P50), loadtest.Ms(l.P95), loadtest.Ms(l.P99), loadtest.Ms(l.Max))
		}
		fmt.Fprintf(w, "  gateway: max RSS %.1f MB, CPU %.2f cores\n", float64(p.Usage.MaxRSS)/(1<<20), p.Usage.CPU)
		fmt.Fprintf(w, "  errors:\n")
		p.Rec.PrintErrors(w, "    ")
	}
	if r.gatewayPeakRSS > 0 {
		fmt.Fprintf(w, "\ngateway peak RSS over the whole run: %.1f MB\n", float64(r.gatewayPeakRSS)/(1<<20))
	}
	if r.latency != nil {
		fmt.Fprintln(w)
		r.latency.print(w, "")
	}
	fmt.Fprintf(w, "probe cost: %s\n", r.opts.probeCost)
}

func (r *report) markdown(w io.Writer) {
	fmt.Fprintf(w, "<!-- written by make bench on %s -->\n", r.started.Format(time.RFC3339))
	fmt.Fprintf(w, "Machine: %s.\n\n", r.machine)
	if r.pgbench.TPS > 0 {
		fmt.Fprintf(w, "pgbench, one flow's writes per transaction (%d clients, %.0f s): **%.0f tps**. "+
			"create-order + checkout capacity (closed loop, %d in flight): **%.1f/s = %.3f × pgbench**.\n",
			r.pgbench.Clients, r.pgbench.Seconds, r.pgbench.TPS, r.opts.concurrency, r.checkoutCapacity, r.ratio())
	}
	r.flowLines(w, "- ")
	if r.intake != nil {
		r.intake.summary(w, r.pgbench, "- ")
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| phase | load | completed/s | latency | p50 | p95 | p99 | max | gateway RSS | gateway CPU | errors |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|")
	for _, p := range r.phases {
		errs := p.Rec.ErrorCount()
		for i, n := range p.Names {
			l := p.Rec.Latency(n)
			if l.N == 0 {
				continue
			}
			if i == 0 {
				fmt.Fprintf(w, "| %s | %s | %.1f | %s | %s | %s | %s | %s | %.0f MB | %.2f cores | %d |\n", p.Name, p.Mode, p.rate(), n,
					loadtest.Ms(l.P50), loadtest.Ms(l.P95), loadtest.Ms(l.P99), loadtest.Ms(l.Max), float64(p.Usage.MaxRSS)/(1<<20), p.Usage.CPU, errs)
				continue
			}
			fmt.Fprintf(w, "| | | | %s | %s | %s | %s | %s | | | |\n", n, loadtest.Ms(l.P50), loadtest.Ms(l.P95), loadtest.Ms(l.P99), loadtest.Ms(l.Max))
		}
	}
	if r.gatewayPeakRSS > 0 {
		fmt.Fprintf(w, "\nGateway peak RSS over the whole run: %.1f MB.\n", float64(r.gatewayPeakRSS)/(1<<20))
	}
	if r.latency != nil {
		fmt.Fprintln(w)
		r.latency.print(w, "- ")
	}
	fmt.Fprintf(w, "\nProbe cost: %s.\n", r.opts.probeCost)
}
