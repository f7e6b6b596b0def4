// Package backup owns the backup archive of a daemon's data directory: how it is written so
// that a crash never leaves half of one under its name, and how it is read back so that a
// truncated or tampered archive is refused, naming the member and why, before anything is
// restored from it.
//
// An archive is a gzip-compressed tar file of regular files only, whose last member,
// MANIFEST.json, is a Manifest: the daemon's version, the order book's schema version, when the
// backup was taken, and the size, permissions and SHA-256 of every other member. The manifest
// comes last because the members are hashed as they are written, read once; a reader holds
// each member's hash until it meets the manifest. Member names are slash-separated paths
// relative to the data directory (fs.ValidPath), never absolute, never with "..".
//
// The archive is written to FILE.tmp, synced and renamed to FILE, and FILE's directory
// synced: FILE is either a whole archive or absent.
//
// What goes into an archive (which files of the data directory, a snapshot of the book) is
// the caller's choice: this package knows nothing of the book, its stores or the daemon. It
// imports only the standard library and store/atomicfile.
package backup
