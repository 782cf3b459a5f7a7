package loadtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5"
)

// Postgres is a private PostgreSQL cluster that a run owns, so that it may restart it.
type Postgres struct {
	dir  string
	port int
	// owner runs the server programs as the postgres user when we are root (the server
	// refuses to run as root); nil otherwise.
	owner *syscall.Credential
	opts  string // the server's options (pg_ctl -o)
}

// PgBinary finds a PostgreSQL program on PATH or in Debian's versioned directories.
func PgBinary(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name)
	if len(matches) == 0 {
		return "", fmt.Errorf("%s not found; install PostgreSQL (Debian: apt-get install postgresql)", name)
	}
	return matches[len(matches)-1], nil
}

// StartPostgres makes a cluster in dir (which must not exist yet or be empty) and starts it
// on a free loopback port.
func StartPostgres(dir string) (*Postgres, error) {
	return startPostgres(dir)
}

// startPostgres makes a cluster in dir and starts it on a free loopback port, with more
// server settings (each "-c name=value").
func startPostgres(dir string, settings ...string) (*Postgres, error) {
	pg, err := newPostgres(dir)
	if err != nil {
		return nil, err
	}
	if err := pg.run("initdb", "-D", dir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"); err != nil {
		return nil, err
	}
	return pg, pg.start(settings...)
}

// newPostgres makes dir, owned by the postgres user when we are root, and picks a free port.
func newPostgres(dir string) (*Postgres, error) {
	pg := &Postgres{dir: dir}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root needs a postgres user to own the cluster: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
		pg.owner = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	addr, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	pg.port, _ = strconv.Atoi(addr[strings.LastIndexByte(addr, ':')+1:])
	return pg, nil
}

// start starts the server on its port; its settings are kept for Restart.
func (pg *Postgres) start(settings ...string) error {
	pg.opts = strings.Join(append([]string{"-c listen_addresses=127.0.0.1 -p " + strconv.Itoa(pg.port) + " -k " + pg.dir +
		" -c max_connections=200 -c fsync=off"}, settings...), " ")
	return pg.run("pg_ctl", "-D", pg.dir, "-l", filepath.Join(pg.dir, "server.log"), "-w", "-t", "60", "-o", pg.opts, "start")
}

// URL is the connection string of database name.
func (pg *Postgres) URL(name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", pg.port, name)
}

// Restart stops the server the way a crash does (immediate: no checkpoint, every connection
// cut, recovery at start) and starts it again.
func (pg *Postgres) Restart() error {
	return pg.run("pg_ctl", "-D", pg.dir, "-l", filepath.Join(pg.dir, "server.log"), "-m", "immediate", "-w", "-t", "60", "-o", pg.opts, "restart")
}

// Stop stops the server.
func (pg *Postgres) Stop() error {
	return pg.run("pg_ctl", "-D", pg.dir, "-m", "fast", "-w", "stop")
}

func (pg *Postgres) run(program string, args ...string) error {
	_, err := pg.output(program, args...)
	return err
}

// output runs a PostgreSQL program as the cluster's owner and returns what it printed.
func (pg *Postgres) output(program string, args ...string) ([]byte, error) {
	bin, err := PgBinary(program)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	if pg.owner != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: pg.owner}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("%s: %v\n%s", program, err, out)
	}
	return out, nil
}

// RecreateDatabase drops and creates the database that dbURL names, through the server's
// postgres database.
func RecreateDatabase(ctx context.Context, dbURL string) error {
	name := DatabaseName(dbURL)
	if name == "" || name == "postgres" {
		return fmt.Errorf("refusing to recreate database %q", name)
	}
	admin, err := WithDatabase(dbURL, "postgres")
	if err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	ident := pgx.Identifier{name}.Sanitize()
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
		return err
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+ident)
	return err
}

// DatabaseName is the database a Postgres URL names.
func DatabaseName(dbURL string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(u.Path, "/")
}

// WithDatabase is dbURL naming database name instead.
func WithDatabase(dbURL, name string) (string, error) {
	u, err := url.Parse(dbURL)
	if err != nil {
		return "", fmt.Errorf("DATABASE_URL: %w", err)
	}
	u.Path = "/" + name
	return u.String(), nil
}
