package pgtest

import "syscall"

const (
	// shm is where Linux mounts a file system in memory (tmpfs) for everyone to write.
	shm = "/dev/shm"
	// tmpfsMagic is tmpfs's file system type, as statfs gives it.
	tmpfsMagic = 0x01021994
	// memRoom is the room a file system in memory must have left to take servers' files: a
	// test binary's server with its databases takes tens of MiB; a container's /dev/shm can be
	// as small as 64 MiB.
	memRoom = 1 << 30
)

// memDir returns /dev/shm when it is a file system in memory this process may write with at
// least memRoom free, else "".
func memDir() string { return memDirAt(shm, memRoom) }

// memDirAt returns dir when it is a file system in memory this process may write with at
// least room bytes free, else "".
func memDirAt(dir string, room uint64) string {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil || st.Type != tmpfsMagic {
		return ""
	}
	if uint64(st.Bavail)*uint64(st.Bsize) < room {
		return ""
	}
	const wOK = 2 // access(2)'s W_OK
	if syscall.Access(dir, wOK) != nil {
		return ""
	}
	return dir
}
