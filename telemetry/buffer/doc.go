// Package buffer owns the on-disk store-and-forward queue of telemetry: while the MQTT broker
// or InfluxDB is unreachable, messages are appended here as opaque byte records and replayed,
// oldest first, once the peer is back.
//
// # Guarantees
//
// Delivery is at least once. A record stays in the queue until it is acknowledged with
// [Queue.Ack] (or dropped by a bound), and consumers may acknowledge out of order: the cursor,
// the oldest unacknowledged sequence number, advances only over contiguous acknowledged records.
//
// Appends are written to the operating system at once and forced to disk (fsync) in batches, by
// a goroutine that [Open] starts, at least every [Options.SyncEvery] (at most one second), or at
// once by [Queue.Sync]. A kill -9 or a power cut therefore loses at most the appends of the last
// sync interval; every record that [Queue.Sync] returned for is kept, and a record half written
// when the process died is detected by its checksum and cut off when the queue is opened again.
//
// The cursor is written (atomically: temporary file, fsync, rename) at most every SyncEvery and
// on [Queue.Close], so after a crash it may lag: some acknowledged records are delivered again.
// Consumers must tolerate duplicates (InfluxDB does: a point with the same series and timestamp
// is stored once).
//
// The queue is bounded by [Options.MaxBytes] on disk and by [Options.MaxAge]: when a bound is hit
// the oldest records are dropped, acknowledged or not, and the unacknowledged ones are counted in
// [Stats].Dropped. Sequence numbers are never reused, across restarts too.
//
// # Layout on disk
//
// The directory holds segment files named by the sequence number of their first record, 20
// decimal digits and ".seg" (00000000000000000001.seg), and a file "cursor". Records follow each
// other in a segment, each framed as
//
//	[4-byte data length][4-byte CRC-32C of the rest][8-byte append time, Unix nanoseconds][data]
//
// in little endian. The last segment is the one appended to; a new one starts when it reaches
// [Options.SegmentBytes]. Whole segments below the cursor are deleted. Only one Queue may use a
// directory at a time.
//
// The package imports store/atomicfile (the cursor file) and the standard library.
package buffer
