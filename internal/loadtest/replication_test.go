package loadtest

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestLSNsReadAndWriteAsPostgresDoes(t *testing.T) {
	for s, want := range map[string]uint64{"0/3573EB8": 0x3573EB8, "16/B374D848": 0x16B374D848, "0/0": 0} {
		n, err := ParseLSN(s)
		if err != nil || n != want {
			t.Errorf("ParseLSN(%q) = %X, %v; want %X", s, n, err, want)
		}
		if back, _ := ParseLSN(FormatLSN(n)); back != n {
			t.Errorf("ParseLSN(FormatLSN(%X)) = %X", n, back)
		}
	}
	if got := FormatLSN(0x16B374D848); got != "16/B374D848" {
		t.Errorf("FormatLSN = %q, want 16/B374D848", got)
	}
	for _, bad := range []string{"", "3573EB8", "0/xyz", "1/2/3"} {
		if _, err := ParseLSN(bad); err == nil {
			t.Errorf("ParseLSN(%q) took it", bad)
		}
	}
}

func TestCountCommitsCountsTheCommitsThatEndPastThePosition(t *testing.T) {
	out := []byte(`rmgr: Transaction len (rec/tot):     34/    34, tx:        991, lsn: 0/035737B0, prev 0/03573780, desc: COMMIT 2026-12-06 02:46:57.987141 UTC
rmgr: Transaction len (rec/tot):     34/    34, tx:        992, lsn: 0/03573B58, prev 0/03573B20, desc: ABORT 2026-12-06 02:46:57.990084 UTC
rmgr: Transaction len (rec/tot):     34/    34, tx:        993, lsn: 0/03573E90, prev 0/03573E50, desc: COMMIT 2026-12-06 02:46:57.992231 UTC
rmgr: Transaction len (rec/tot):    130/   130, tx:        994, lsn: 0/03574000, prev 0/03573E90, desc: COMMIT 2026-12-06 02:46:57.993000 UTC; inval msgs: catcache 7
pg_waldump: error: error in WAL record at 0/3574000: invalid record length at 0/3574082: wanted 24, got 0
`)
	for _, c := range []struct {
		at   string
		want int
	}{
		{"0/03573000", 3}, // before them all
		{"0/03573B58", 2}, // the abort is no commit
		{"0/03573EA0", 2}, // inside record 993: the standby does not have all of it
		{"0/03573EB2", 1}, // just past 993
		{"0/03574082", 0}, // the end
	} {
		lsn, _ := ParseLSN(c.at)
		got, err := CountCommits(out, lsn)
		if err != nil || got != c.want {
			t.Errorf("CountCommits after %s = %d, %v; want %d", c.at, got, err, c.want)
		}
	}
}

func TestLagDeliversLateAndDropsWhatThePrimaryLeftUndelivered(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() { // the primary: sends, sends again, dies
		c, err := ln.Accept()
		if err != nil {
			return
		}
		_, _ = c.Write([]byte("early."))
		time.Sleep(600 * time.Millisecond)
		_, _ = c.Write([]byte("late."))
		time.Sleep(20 * time.Millisecond)
		c.Close()
	}()
	lag := &Lag{Delay: 300 * time.Millisecond, Target: ln.Addr().String()}
	addr, err := lag.Listen()
	if err != nil {
		t.Fatal(err)
	}
	defer lag.Close()
	start := time.Now() // before the primary can have sent anything
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 6)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "early." {
		t.Fatalf("read %q, %v; want early.", buf, err)
	}
	if took := time.Since(start); took < 300*time.Millisecond {
		t.Errorf("delivered after %s, want at least the 300ms delay", took)
	}
	rest, _ := io.ReadAll(c)
	if len(rest) != 0 {
		t.Errorf("after the primary died the standby got %q, want nothing: it was still on its way", rest)
	}
}

// TestAnAsynchronousStandbyLosesWhatCommitsAfterCounts runs a primary and an asynchronous
// standby a second behind, commits rows one by one, kills the primary and promotes the
// standby: the commits CommitsAfter counts are the rows the standby does not have.
func TestAnAsynchronousStandbyLosesWhatCommitsAfterCounts(t *testing.T) {
	dir := t.TempDir()
	// The postgres user makes its clusters in it (as root the programs run as postgres).
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	primary, err := StartPrimary(filepath.Join(dir, "primary"), "")
	if err != nil {
		t.Fatal(err)
	}
	killed := false
	defer func() {
		if !killed {
			_ = primary.Stop()
		}
	}()
	lag := &Lag{Delay: time.Second, Target: primary.Addr()}
	via, err := lag.Listen()
	if err != nil {
		t.Fatal(err)
	}
	defer lag.Close()
	standby, err := primary.StartStandby(filepath.Join(dir, "standby"), "standby", via)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = standby.Stop() }()
	conn, err := pgx.Connect(ctx, primary.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE t (n int) WITH (autovacuum_enabled = false)`); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second) // the table reaches the standby
	const rows = 200
	for i := range rows {
		if _, err := conn.Exec(ctx, `INSERT INTO t VALUES ($1)`, i); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond) // over two seconds or so: the first rows reach the standby
	}
	conn.Close(ctx)
	killed = true
	if err := primary.Kill(); err != nil {
		t.Fatal(err)
	}
	lsn, err := standby.ReceivedLSN(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := standby.Promote(); err != nil {
		t.Fatal(err)
	}
	lost, err := primary.CommitsAfter(lsn)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := pgx.Connect(ctx, standby.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close(ctx)
	var have int
	if err := sc.QueryRow(ctx, `SELECT count(*) FROM t`).Scan(&have); err != nil {
		t.Fatal(err)
	}
	t.Logf("standby promoted at %s with %d of %d rows; commits past it on the old primary: %d", lsn, have, rows, lost)
	if lost != rows-have {
		t.Errorf("CommitsAfter(%s) = %d; the promoted standby has %d of the %d rows committed, so %d were lost", lsn, lost, have, rows, rows-have)
	}
	if lost == 0 || have == 0 {
		t.Errorf("the standby a second behind has %d rows, lost %d: want some of each, or the test shows little", have, lost)
	}
	if _, err := sc.Exec(ctx, `INSERT INTO t VALUES (-1)`); err != nil {
		t.Errorf("the promoted standby takes no write: %v", err)
	}
}
