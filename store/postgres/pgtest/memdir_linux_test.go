package pgtest

import "testing"

// TestMemDir checks that the servers' files go to memory only where there is a file system in
// memory with the room asked for.
func TestMemDir(t *testing.T) {
	tests := []struct {
		dir  string
		room uint64
		want string
	}{
		{dir: shm, room: 1, want: shm},           // tmpfs on every Linux this runs on
		{dir: shm, room: 1 << 62, want: ""},      // no room
		{dir: "/proc", room: 1, want: ""},        // not tmpfs
		{dir: "/no/such/dir", room: 1, want: ""}, // not there
	}
	for _, tc := range tests {
		if got := memDirAt(tc.dir, tc.room); got != tc.want {
			t.Errorf("memDirAt(%s, %d) = %q, want %q", tc.dir, tc.room, got, tc.want)
		}
	}
}
