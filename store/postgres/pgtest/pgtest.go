// Package pgtest runs a real PostgreSQL server for tests: one per test binary, started on a
// free loopback port in a temporary directory the first time a test asks for a database, each
// test then getting a fresh database of its own, dropped when the test ends. A test that must
// stop and start the server (the database going away) starts a server of its own with Start.
//
// The server comes from Debian's postgresql package, installed by the repository's
// scripts/deps.sh when it is missing; a test that cannot get one fails, it never skips. When
// CELLFORGE_TEST_POSTGRES is set (a postgres:// URL of a role that may create databases),
// that server is used instead of starting one, as `make test` does to start one server for
// every package.
//
// The package imports only the standard library and pgx, so any package's tests can use it.
package pgtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cellforge/cellforge/telemetry/peertest"
)

// EnvURL names the environment variable of a server to use rather than start one.
const EnvURL = "CELLFORGE_TEST_POSTGRES"

var (
	shared     *Server
	sharedErr  error
	sharedOnce sync.Once
)

// URL returns the URL of a new, empty database for t on the test binary's server (or on the
// server CELLFORGE_TEST_POSTGRES names), dropped when t ends.
func URL(t testing.TB) string {
	t.Helper()
	return newDatabase(t, admin(t), "")
}

// URLFrom returns the URL of a new database for t that is a copy of template (see Template),
// dropped when t ends.
func URLFrom(t testing.TB, template string) string {
	t.Helper()
	return newDatabase(t, admin(t), template)
}

// admin is the URL of the superuser of the server the test binary's databases are made on,
// started at the first call when CELLFORGE_TEST_POSTGRES is unset.
func admin(t testing.TB) string {
	t.Helper()
	if base := os.Getenv(EnvURL); base != "" {
		return base
	}
	sharedOnce.Do(func() { shared, sharedErr = start(false) })
	if sharedErr != nil {
		t.Fatalf("pgtest: %v", sharedErr)
	}
	return shared.AdminURL()
}

var (
	templatesMu sync.Mutex
	templates   = map[string]*template{}
)

type template struct {
	once sync.Once
	name string
	err  error
}

// Template returns the name of a database made once per test binary and name on the server
// URL uses, which setup fills through its URL (a schema's migrations, say): copying it for each
// test (URLFrom) is faster than filling each test's database anew. It lives as long as the
// server: until the test binary ends, or until the run of CELLFORGE_TEST_POSTGRES's does.
func Template(t testing.TB, name string, setup func(url string) error) string {
	t.Helper()
	if strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" || name == "" {
		t.Fatalf("pgtest: template name %q: want lowercase letters, digits and _", name)
	}
	base := admin(t)
	templatesMu.Lock()
	tp := templates[name]
	if tp == nil {
		tp = &template{}
		templates[name] = tp
	}
	templatesMu.Unlock()
	tp.once.Do(func() {
		tp.name = "tpl_" + name + "_" + randomHex()
		if tp.err = createDatabase(base, tp.name, ""); tp.err != nil {
			return
		}
		if err := setup(databaseURL(base, tp.name)); err != nil {
			tp.err = fmt.Errorf("filling template %s: %w", tp.name, err)
		}
	})
	if tp.err != nil {
		t.Fatalf("pgtest: %v", tp.err)
	}
	return tp.name
}

func randomHex() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// createDatabase creates the database name on the server of admin, a copy of template when
// it is not empty.
func createDatabase(admin, name, template string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return fmt.Errorf("connecting to %s: %w", admin, err)
	}
	defer conn.Close(ctx)
	sql := "CREATE DATABASE " + name
	if template != "" {
		sql += " TEMPLATE " + template
	}
	// the template's files copied, rather than each of its pages written through the WAL (the
	// default since PostgreSQL 15): half the server's work per database, and the tests make
	// one a test
	sql += " STRATEGY FILE_COPY"
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("creating database %s: %w", name, err)
	}
	return nil
}

// databaseURL is the URL of the database name on the server of admin.
func databaseURL(admin, name string) string {
	u, err := url.Parse(admin)
	if err != nil {
		return admin
	}
	u.Path = "/" + name
	return u.String()
}

// newDatabase creates a database on the server of admin (a copy of template when it is not
// empty), dropped when t ends, and returns its URL.
func newDatabase(t testing.TB, admin, template string) string {
	t.Helper()
	name := "t_" + randomHex()
	if err := createDatabase(admin, name, template); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Logf("pgtest: dropping database %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("pgtest: dropping database %s: %v", name, err)
		}
	})
	return databaseURL(admin, name)
}

// Server is a PostgreSQL server of a test's own, in a temporary directory, on a loopback port.
type Server struct {
	dir   string
	owner *os.File // held for as long as dir is in use (see stale.go)
	port  int
	bin   string
	cred  *credential // the postgres user's, when the test runs as root
	log   *bytes.Buffer
	mu    sync.Mutex
	cmd   *exec.Cmd
	done  chan struct{}
}

// credential is a user the server's processes run as.
type credential struct{ uid, gid uint32 }

// Start starts a server of t's own, stopped and removed when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := start(true)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		s.Kill()
		os.RemoveAll(s.dir)
		s.owner.Close()
	})
	return s
}

// AdminURL is the URL of the server's postgres database as its superuser.
func (s *Server) AdminURL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", s.port)
}

// Database returns the URL of a new, empty database on s for t, dropped when t ends.
func (s *Server) Database(t testing.TB) string { return newDatabase(t, s.AdminURL(), "") }

// Port is the loopback port the server listens on.
func (s *Server) Port() int { return s.port }

// Log is what the server wrote so far.
func (s *Server) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

func start(own bool) (*Server, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	removeStale(os.TempDir())
	dir, err := os.MkdirTemp("", "cellforge-pgtest-")
	if err != nil {
		return nil, err
	}
	owner, err := lockDir(dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("locking %s: %w", dir, err)
	}
	s := &Server{dir: dir, bin: bin, log: &bytes.Buffer{}, owner: owner}
	if err := s.setUp(); err != nil {
		s.Kill()
		os.RemoveAll(dir)
		owner.Close()
		return nil, err
	}
	return s, nil
}

// setUp makes the server's data directory, as the postgres user when the test runs as root,
// and starts the server on a free port.
func (s *Server) setUp() error {
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return fmt.Errorf("running as root, PostgreSQL needs the postgres user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		s.cred = &credential{uid: uint32(uid), gid: uint32(gid)}
		if err := os.Chown(s.dir, uid, gid); err != nil {
			return err
		}
	}
	initdb := exec.Command(filepath.Join(s.bin, "initdb"), "-D", filepath.Join(s.dir, "data"), "-U", "postgres",
		"--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync")
	initdb.SysProcAttr = procAttr(s.cred, false)
	if out, err := initdb.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %v\n%s", err, out)
	}
	var err error
	if s.port, err = freePort(); err != nil {
		return err
	}
	return s.Start()
}

// Start starts the server (again, after Stop or Kill) and waits until it accepts connections.
func (s *Server) Start() error {
	s.mu.Lock()
	if s.cmd != nil {
		s.mu.Unlock()
		return fmt.Errorf("the server is running")
	}
	cmd := exec.Command(filepath.Join(s.bin, "postgres"), "-D", filepath.Join(s.dir, "data"),
		"-p", strconv.Itoa(s.port), "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="+s.dir,
		"-c", "max_connections=300", "-c", "fsync=on", "-c", "shared_buffers=64MB")
	cmd.Stdout, cmd.Stderr = lockedWriter{s}, lockedWriter{s}
	// the server goes when the test binary does, however it ends (where the kernel can see to it)
	cmd.SysProcAttr = procAttr(s.cred, true)
	runtime.LockOSThread() // Linux's parent-death signal follows the thread that started the process
	err := cmd.Start()
	runtime.UnlockOSThread()
	if err != nil {
		s.mu.Unlock()
		return fmt.Errorf("starting postgres: %w", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return fmt.Errorf("postgres exited at start:\n%s", s.Log())
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn, err := pgx.Connect(ctx, s.AdminURL())
		cancel()
		if err == nil {
			conn.Close(context.Background())
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("postgres not ready within 60 s:\n%s", s.Log())
}

// Stop shuts the server down cleanly (a fast shutdown: sessions are ended, what committed is
// on disk) and waits for it to exit.
func (s *Server) Stop() { s.signal(syscall.SIGINT) }

// Kill stops the server as a crash would (an immediate shutdown: recovery at the next start).
func (s *Server) Kill() { s.signal(syscall.SIGQUIT) }

func (s *Server) signal(sig syscall.Signal) {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Signal(sig)
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		<-done
	}
}

type lockedWriter struct{ s *Server }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	return w.s.log.Write(p)
}

// binDir finds the directory of initdb and postgres, installing Debian's postgresql when it is
// missing.
func binDir() (string, error) {
	find := func() string {
		if p, err := exec.LookPath("pg_config"); err == nil {
			if out, err := exec.Command(p, "--bindir").Output(); err == nil {
				d := strings.TrimSpace(string(out))
				if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
					return d
				}
			}
		}
		dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
		for i := len(dirs) - 1; i >= 0; i-- {
			if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
				return dirs[i]
			}
		}
		return ""
	}
	if d := find(); d != "" {
		return d, nil
	}
	script, err := depsScript()
	if err != nil {
		return "", err
	}
	if out, err := exec.Command(script, "postgresql").CombinedOutput(); err != nil {
		return "", fmt.Errorf("installing postgresql: %v\n%s", err, out)
	}
	if d := find(); d != "" {
		return d, nil
	}
	return "", fmt.Errorf("postgresql installed, but no initdb found")
}

// depsScript is the repository's scripts/deps.sh, found from the working directory (a test's
// is its package's): the source file's own path is no guide, since built with -trimpath it
// names the module, not a directory.
func depsScript() (string, error) {
	root, err := peertest.RepoRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "scripts", "deps.sh"), nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
