// Package pgtest starts a real PostgreSQL server for a package's tests
// (those under the build tag `postgres`): initdb in a temporary directory,
// postgres on a free loopback port, a fresh database per test, and the
// server stopped by its PID when the tests end. As root it runs the server
// as the `postgres` user, which PostgreSQL requires.
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
//	dsn := pgtest.Database(t) // postgres://hearth@127.0.0.1:PORT/tN, dropped at cleanup
package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
)

// ChildEnv, set in a test's child process (the test binary run again),
// keeps Main from starting a server of its own.
const ChildEnv = "HEARTH_PGTEST_CHILD"

// Server is a running PostgreSQL.
type Server struct {
	Port int
	dir  string
	cmd  *exec.Cmd
	done chan struct{}
}

var (
	current *Server
	seq     atomic.Int64
)

// Main starts the server, runs the tests and stops it. A machine without
// PostgreSQL's programs fails the run (the tag asks for them).
func Main(m *testing.M) int {
	if os.Getenv(ChildEnv) != "" {
		return m.Run() // a child process of a test: it uses its parent's server
	}
	s, err := Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		return 1
	}
	current = s
	defer s.Stop()
	// A test that runs the test binary again (a child to kill) must not
	// have it start a server of its own, which the kill would orphan.
	os.Setenv(ChildEnv, "1")
	return m.Run()
}

// binDir finds initdb and postgres: $HEARTH_PG_BIN, else the newest
// /usr/lib/postgresql/N/bin (Debian), else $PATH.
func binDir() (string, error) {
	if d := os.Getenv("HEARTH_PG_BIN"); d != "" {
		return d, nil
	}
	if ds, _ := filepath.Glob("/usr/lib/postgresql/*/bin"); len(ds) > 0 {
		sort.Slice(ds, func(i, j int) bool {
			a, _ := strconv.Atoi(filepath.Base(filepath.Dir(ds[i])))
			b, _ := strconv.Atoi(filepath.Base(filepath.Dir(ds[j])))
			return a < b
		})
		return ds[len(ds)-1], nil
	}
	p, err := exec.LookPath("initdb")
	if err != nil {
		return "", errors.New("PostgreSQL's initdb was not found (apt-get install postgresql, or set HEARTH_PG_BIN)")
	}
	return filepath.Dir(p), nil
}

// asServerUser makes cmd run as the postgres user when we are root.
func asServerUser(cmd *exec.Cmd) (uid, gid int, err error) {
	if os.Geteuid() != 0 {
		return -1, -1, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return 0, 0, fmt.Errorf("running as root needs the postgres user: %w", err)
	}
	uid, _ = strconv.Atoi(u.Uid)
	gid, _ = strconv.Atoi(u.Gid)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	return uid, gid, nil
}

// Start runs initdb and postgres on a free port of 127.0.0.1 and waits
// until it accepts connections.
func Start() (*Server, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "hearth-pgtest-")
	if err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")
	uid, gid, err := asServerUser(initdb)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if uid >= 0 {
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	if out, err := initdb.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s := &Server{Port: port, dir: dir, done: make(chan struct{})}
	log, err := os.Create(filepath.Join(dir, "postgres.log"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s.cmd = exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-k", dir, "-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
		"-c", "full_page_writes=off", "-c", "max_connections=100")
	s.cmd.Stdout, s.cmd.Stderr = log, log
	if _, _, err := asServerUser(s.cmd); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := s.cmd.Start(); err != nil {
		log.Close()
		os.RemoveAll(dir)
		return nil, err
	}
	go func() { s.cmd.Wait(); log.Close(); close(s.done) }()
	if err := s.waitReady(30 * time.Second); err != nil {
		out, _ := os.ReadFile(filepath.Join(dir, "postgres.log"))
		s.Stop()
		return nil, fmt.Errorf("%v\n%s", err, out)
	}
	db, err := sql.Open("pgx", s.dsn("postgres", "postgres"))
	if err != nil {
		s.Stop()
		return nil, err
	}
	defer db.Close()
	// hearth is an ordinary role: each test's database is its own, as
	// docs/postgres.md tells a household to set it up.
	if _, err := db.Exec("CREATE ROLE hearth LOGIN PASSWORD 'hearth-test'"); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) dsn(user, db string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", user, s.Port, db)
}

// waitReady polls until the server accepts a session (a server process
// that starts takes a moment; there is no event to wait on).
func (s *Server) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		select {
		case <-s.done:
			return errors.New("postgres exited while starting")
		default:
		}
		db, err := sql.Open("pgx", s.dsn("postgres", "postgres"))
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			err = db.PingContext(ctx)
			cancel()
			db.Close()
			if err == nil {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres did not accept connections within %s: %v", limit, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop stops the server by its PID (a fast shutdown, then SIGKILL after
// 10 s) and removes its directory.
func (s *Server) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	}
	os.RemoveAll(s.dir)
}

// Database creates a new database owned by the role hearth and returns its
// address; it is dropped when t ends.
func Database(t testing.TB) string {
	t.Helper()
	return DatabaseOn(t, current)
}

// DatabaseOn is Database on the server s.
func DatabaseOn(t testing.TB, s *Server) string {
	t.Helper()
	if s == nil {
		t.Fatal("pgtest: no server: call pgtest.Main from TestMain")
	}
	name := fmt.Sprintf("t%d_%d", os.Getpid(), seq.Add(1))
	admin, err := sql.Open("pgx", s.dsn("postgres", "postgres"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec("CREATE DATABASE " + name + " OWNER hearth"); err != nil {
		admin.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		if _, err := admin.Exec("DROP DATABASE " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: dropping %s: %v", name, err)
		}
	})
	return fmt.Sprintf("postgres://hearth:hearth-test@127.0.0.1:%d/%s?sslmode=disable", s.Port, name)
}

// Admin opens the superuser's connection to the database of dsn (for a
// test to look at or tamper with what Hearth wrote).
func Admin(t testing.TB, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
