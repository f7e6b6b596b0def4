package pgtest

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/cellforge/cellforge/store/filelock"
	"time"
)

// A server's directory outlives the test binary that made it: the binary's server goes with it
// (Pdeathsig, on Linux), but no code of a package's tests runs after its last test to remove the
// directory. So each binary holds a lock on a file in each directory it made for as long as it
// runs, and the next start removes the directories whose lock nobody holds.

// ownerFile is the file of a server's directory whose lock its test binary holds.
const ownerFile = "owner.lock"

// dirPattern is the pattern of the servers' directories under the temporary directory.
const dirPattern = "cellforge-pgtest-*"

// youngDir is how long a directory with no owner file is left alone: one made by a binary
// that is still setting it up, or by an older pgtest that held no lock.
const youngDir = 10 * time.Minute

// lockDir takes the lock of dir for this process and returns the file that holds it, to keep
// open for as long as the directory is in use; closing it (or the process ending) lets go.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, ownerFile), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := filelock.TryLock(f); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// removeStale removes the servers' directories under tmp that no running test binary owns,
// and returns those it removed.
func removeStale(tmp string) []string {
	dirs, _ := filepath.Glob(filepath.Join(tmp, dirPattern))
	var removed []string
	for _, dir := range dirs {
		if stale(dir) && os.RemoveAll(dir) == nil {
			removed = append(removed, dir)
		}
	}
	return removed
}

// stale reports whether dir is left over: its owner file is not locked, or, when it has none,
// it is old and no server runs in it.
func stale(dir string) bool {
	f, err := os.OpenFile(filepath.Join(dir, ownerFile), os.O_RDWR, 0)
	if err == nil {
		defer f.Close()
		// got the lock: the binary that held it is gone (closing f lets go of it again)
		return filelock.TryLock(f) == nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return false
	}
	info, err := os.Stat(dir)
	if err != nil || time.Since(info.ModTime()) < youngDir {
		return false
	}
	return !serverRuns(dir)
}

// serverRuns reports whether the postmaster that dir's data directory names is alive.
func serverRuns(dir string) bool {
	raw, err := os.ReadFile(filepath.Join(dir, "data", "postmaster.pid"))
	if err != nil {
		return false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(raw), "\n", 2)[0]))
	if err != nil || pid <= 0 {
		return false
	}
	return processAlive(pid)
}
