package loadtest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// StartPrimary makes a cluster in dir, as StartPostgres does, that streams its WAL to
// standbys. With syncStandby not empty every commit also waits until the standby of that
// application_name has flushed it (synchronous_standby_names, synchronous_commit=on);
// empty, standbys are asynchronous: a commit is acknowledged once it is on the primary.
func StartPrimary(dir, syncStandby string) (*Postgres, error) {
	settings := []string{"-c wal_level=replica -c max_wal_senders=5 -c wal_keep_size=512MB -c synchronous_commit=on"}
	if syncStandby != "" {
		settings = append(settings, "-c synchronous_standby_names="+syncStandby)
	}
	return startPostgres(dir, settings...)
}

// StartStandby copies the primary pg with pg_basebackup into dir and starts the copy on a
// free port as a hot standby named name (its application_name), streaming from upstream:
// host:port, the primary's Addr or a proxy in front of it. The standby's own settings name no
// synchronous standby, so once promoted it commits on its own.
func (pg *Postgres) StartStandby(dir, name, upstream string) (*Postgres, error) {
	sb, err := newPostgres(dir)
	if err != nil {
		return nil, err
	}
	host, port, ok := strings.Cut(upstream, ":")
	if !ok {
		return nil, fmt.Errorf("standby upstream %q is not host:port", upstream)
	}
	// -R writes standby.signal; primary_conninfo is set on the command line below, which
	// takes precedence over the one -R writes.
	if err := sb.run("pg_basebackup", "-D", dir, "-h", "127.0.0.1", "-p", strconv.Itoa(pg.port), "-U", "postgres",
		"-X", "stream", "-R", "-c", "fast"); err != nil {
		return nil, err
	}
	conninfo := fmt.Sprintf("host=%s port=%s user=postgres application_name=%s", host, port, name)
	return sb, sb.start("-c hot_standby=on", "-c \"primary_conninfo="+conninfo+"\"", "-c wal_retrieve_retry_interval=200ms")
}

// Addr is the server's host:port.
func (pg *Postgres) Addr() string { return "127.0.0.1:" + strconv.Itoa(pg.port) }

// Dir is the cluster's data directory.
func (pg *Postgres) Dir() string { return pg.dir }

// Kill stops the server the way a crash does (immediate: every process gone at once, no
// checkpoint, nothing more sent to a standby) and leaves it stopped.
func (pg *Postgres) Kill() error {
	return pg.run("pg_ctl", "-D", pg.dir, "-m", "immediate", "-w", "-t", "60", "stop")
}

// Promote makes a standby a primary and waits until it accepts writes.
func (pg *Postgres) Promote() error {
	return pg.run("pg_ctl", "-D", pg.dir, "-w", "-t", "60", "promote")
}

// ReceivedLSN waits until the standby has replayed all the WAL it received and returns that
// position: what it will have once promoted.
func (pg *Postgres) ReceivedLSN(ctx context.Context) (string, error) {
	conn, err := pgx.Connect(ctx, pg.URL("postgres"))
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	deadline := time.Now().Add(30 * time.Second)
	for {
		var received, replayed string
		var caughtUp bool
		err := conn.QueryRow(ctx, `SELECT coalesce(pg_last_wal_receive_lsn(), '0/0')::text, pg_last_wal_replay_lsn()::text,
			pg_last_wal_replay_lsn() >= coalesce(pg_last_wal_receive_lsn(), '0/0')`).Scan(&received, &replayed, &caughtUp)
		if err != nil {
			return "", err
		}
		if caughtUp {
			return replayed, nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("standby still replaying: received %s, replayed %s", received, replayed)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// CommitsAfter counts the transactions this cluster (a primary that is down) committed in
// its WAL past lsn, which another server had: the commit records that end after lsn. It reads
// the WAL with pg_waldump from a little before lsn, so that a record lsn falls inside counts.
func (pg *Postgres) CommitsAfter(lsn string) (int, error) {
	end, err := ParseLSN(lsn)
	if err != nil {
		return 0, err
	}
	from := end - min(end, 64<<10)
	out, err := pg.output("pg_waldump", "-p", pg.dir+"/pg_wal", "-s", FormatLSN(from), "-r", "Transaction")
	if err != nil && !bytes.Contains(out, []byte("error in WAL record")) && !bytes.Contains(out, []byte("invalid record length")) {
		// pg_waldump ends with an error where the WAL ends; anything else is a failure.
		return 0, err
	}
	return CountCommits(out, end)
}

// CountCommits counts, in pg_waldump's output, the COMMIT records that end after lsn.
func CountCommits(waldump []byte, lsn uint64) (int, error) {
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(waldump))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "rmgr: Transaction") || !strings.Contains(line, "desc: COMMIT ") {
			continue
		}
		// rmgr: Transaction len (rec/tot):     34/    34, tx:        770, lsn: 0/0301A2B8, prev 0/0301A280, desc: COMMIT …
		_, tot, ok := strings.Cut(line, "len (rec/tot):")
		if !ok {
			return 0, fmt.Errorf("pg_waldump: unexpected line %q", line)
		}
		tot, _, _ = strings.Cut(tot, ",")
		_, tot, _ = strings.Cut(tot, "/")
		size, err := strconv.ParseUint(strings.TrimSpace(tot), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("pg_waldump: record length in %q: %w", line, err)
		}
		_, at, ok := strings.Cut(line, " lsn: ")
		if !ok {
			return 0, fmt.Errorf("pg_waldump: no lsn in %q", line)
		}
		at, _, _ = strings.Cut(at, ",")
		start, err := ParseLSN(at)
		if err != nil {
			return 0, err
		}
		if start+size > lsn {
			n++
		}
	}
	return n, sc.Err()
}

// ParseLSN reads a WAL position written as Postgres does, "16/B374D848".
func ParseLSN(s string) (uint64, error) {
	hi, lo, ok := strings.Cut(strings.TrimSpace(s), "/")
	h, err1 := strconv.ParseUint(hi, 16, 32)
	l, err2 := strconv.ParseUint(lo, 16, 32)
	if !ok || err1 != nil || err2 != nil {
		return 0, fmt.Errorf("invalid LSN %q", s)
	}
	return h<<32 | l, nil
}

// FormatLSN writes a WAL position as Postgres does.
func FormatLSN(lsn uint64) string { return fmt.Sprintf("%X/%08X", lsn>>32, uint32(lsn)) }
