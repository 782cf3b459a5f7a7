package migrations_test

import (
	"context"
	"database/sql"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver

	"github.com/placetopay-gateway/gateway/internal/pgtest"
	"github.com/placetopay-gateway/gateway/migrations"
)

func openDB(t *testing.T, url string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func sqlFiles(t *testing.T) []string {
	t.Helper()
	names, err := fs.Glob(migrations.FS(), "*.sql")
	if err != nil || len(names) == 0 {
		t.Fatalf("embedded migrations: %v, %v", names, err)
	}
	return names
}

func pending(t *testing.T, db *sql.DB) bool {
	t.Helper()
	p, err := migrations.Pending(context.Background(), db)
	if err != nil {
		t.Fatalf("Pending: %v", err)
	}
	return p
}

func TestUpOnEmptyDatabase(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, pgtest.EmptyURL(t))
	files := sqlFiles(t)

	if !pending(t, db) {
		t.Error("Pending = false on an empty database")
	}
	if n, err := migrations.Up(ctx, db); err != nil || n != len(files) {
		t.Fatalf("Up = %d, %v; want %d, nil", n, err, len(files))
	}
	if pending(t, db) {
		t.Error("Pending = true after Up")
	}
	if n, err := migrations.Up(ctx, db); err != nil || n != 0 {
		t.Errorf("second Up = %d, %v; want 0, nil", n, err)
	}
}

func TestUpConcurrently(t *testing.T) {
	url := pgtest.EmptyURL(t)
	files := sqlFiles(t)
	const runners = 8
	counts, errs := make([]int, runners), make([]error, runners)
	start := make(chan struct{}) // released at once, to make the race as likely as possible
	var wg sync.WaitGroup
	for i := range runners {
		db := openDB(t, url) // one pool each, as separate replicas would have
		if err := db.Ping(); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			counts[i], errs[i] = migrations.Up(context.Background(), db)
		}()
	}
	close(start)
	wg.Wait()
	total := 0
	for i := range runners {
		if errs[i] != nil {
			t.Errorf("Up #%d: %v", i, errs[i])
		}
		total += counts[i]
	}
	if total != len(files) {
		t.Errorf("concurrent Up calls applied %d migration(s) in total (%v), want %d", total, counts, len(files))
	}
	var rows int
	err := openDB(t, url).QueryRow(`SELECT count(*) FROM goose_db_version WHERE version_id > 0`).Scan(&rows)
	if err != nil {
		t.Fatal(err)
	}
	if rows != len(files) {
		t.Errorf("goose_db_version has %d applied row(s), want %d", rows, len(files))
	}
}

// TestDownReversesUp checks every Down section undoes its Up, so Up works again afterwards.
func TestDownReversesUp(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, pgtest.URL(t))
	p, err := migrations.NewProvider(db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 0); err != nil {
		t.Fatalf("DownTo(0): %v", err)
	}
	var left []string
	rows, err := db.QueryContext(ctx, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = 'public' AND table_name <> 'goose_db_version' ORDER BY table_name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		left = append(left, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("tables left after migrating down: %v", left)
	}
	if !pending(t, db) {
		t.Error("Pending = false after migrating down")
	}
	if n, err := migrations.Up(ctx, db); err != nil || n != len(sqlFiles(t)) {
		t.Errorf("Up after down = %d, %v; want %d, nil", n, err, len(sqlFiles(t)))
	}
}

func TestWriteStatus(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, pgtest.EmptyURL(t))
	files := sqlFiles(t)

	status := func() [][]string {
		t.Helper()
		var b strings.Builder
		if err := migrations.WriteStatus(ctx, db, &b); err != nil {
			t.Fatalf("WriteStatus: %v", err)
		}
		var out [][]string
		for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
			out = append(out, strings.Fields(line))
		}
		if len(out) != len(files) {
			t.Fatalf("WriteStatus printed %d line(s), want %d:\n%s", len(out), len(files), b.String())
		}
		return out
	}

	for i, f := range status() {
		if len(f) != 3 || f[1] != files[i] || f[2] != "pending" {
			t.Errorf("before Up: status line %q, want version, %s, pending", f, files[i])
		}
	}
	if _, err := migrations.Up(ctx, db); err != nil {
		t.Fatal(err)
	}
	for i, f := range status() {
		if len(f) != 3 || f[1] != files[i] {
			t.Errorf("after Up: status line %q, want version, %s and a time", f, files[i])
			continue
		}
		at, err := time.Parse(time.RFC3339, f[2])
		if err != nil {
			t.Errorf("after Up: status line %q: %v", f, err)
		} else if d := time.Since(at); d < -24*time.Hour || d > 24*time.Hour {
			t.Errorf("after Up: applied at %v, not around now", at)
		}
	}
}
