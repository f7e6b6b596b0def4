package filelock_test

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/cellforge/cellforge/store/filelock"
)

func open(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestTryLockExcludesAnotherOpenFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.lock")
	first, second := open(t, path), open(t, path)
	if err := filelock.TryLock(first); err != nil {
		t.Fatalf("first lock: %v", err)
	}
	if err := filelock.TryLock(second); !errors.Is(err, filelock.ErrLocked) {
		t.Fatalf("second open file's lock while the first holds it: got %v, want ErrLocked", err)
	}
	first.Close()
	if err := filelock.TryLock(second); err != nil {
		t.Fatalf("lock after the holder closed its file: %v", err)
	}
}

func TestTryLockOnClosedFile(t *testing.T) {
	f := open(t, filepath.Join(t.TempDir(), "x.lock"))
	f.Close()
	err := filelock.TryLock(f)
	if err == nil || errors.Is(err, filelock.ErrLocked) {
		t.Fatalf("lock of a closed file: got %v, want an error other than ErrLocked", err)
	}
}

// holderEnv names the lock file a re-run of this test binary holds until it is killed.
const holderEnv = "FILELOCK_TEST_HOLD"

func TestMain(m *testing.M) {
	if path := os.Getenv(holderEnv); path != "" {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err == nil {
			err = filelock.TryLock(f)
		}
		if err != nil {
			os.Stdout.WriteString("error: " + err.Error() + "\n")
			os.Exit(1)
		}
		os.Stdout.WriteString("locked\n")
		time.Sleep(time.Hour) // until killed
	}
	os.Exit(m.Run())
}

// A process killed without a chance to clean up lets go of its lock: the property the daemon's
// data-directory lock and the store's owner lock rely on after kill -9.
func TestLockOfKilledProcessIsLetGo(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.lock")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), holderEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "locked\n" {
		t.Fatalf("holder process: %q, %v", line, err)
	}
	f := open(t, path)
	if err := filelock.TryLock(f); !errors.Is(err, filelock.ErrLocked) {
		t.Fatalf("lock held by another process: got %v, want ErrLocked", err)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if err := filelock.TryLock(f); err != nil {
		t.Fatalf("lock after its holder was killed: %v", err)
	}
}
