package buffer

import (
	"bytes"
	"testing"
)

// BenchmarkAppend appends 200-byte records one per call, with the background sync of the
// default options; the queue's bound drops the oldest once it is full, as in a long outage.
func BenchmarkAppend(b *testing.B) {
	q := open(b, b.TempDir(), Options{})
	rec := bytes.Repeat([]byte("x"), 200)
	b.SetBytes(int64(len(rec)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := q.Append(rec); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkAppendBatch appends 200-byte records 100 per call.
func BenchmarkAppendBatch(b *testing.B) {
	q := open(b, b.TempDir(), Options{})
	rec := bytes.Repeat([]byte("x"), 200)
	batch := make([][]byte, 100)
	for i := range batch {
		batch[i] = rec
	}
	b.SetBytes(int64(len(rec) * len(batch)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := q.Append(batch...); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkAppendSync appends a 200-byte record and syncs it to disk, each time: the rate when
// every record must be durable before the caller goes on.
func BenchmarkAppendSync(b *testing.B) {
	q := open(b, b.TempDir(), Options{})
	rec := bytes.Repeat([]byte("x"), 200)
	b.SetBytes(int64(len(rec)))
	for b.Loop() {
		if _, err := q.Append(rec); err != nil {
			b.Fatal(err)
		}
		if err := q.Sync(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkReadAck drains a backlog of 200-byte records in reads of 500, as a sender does after
// an outage.
func BenchmarkReadAck(b *testing.B) {
	q := open(b, b.TempDir(), Options{})
	rec := bytes.Repeat([]byte("x"), 200)
	batch := make([][]byte, 500)
	for i := range batch {
		batch[i] = rec
	}
	b.SetBytes(int64(len(rec) * len(batch)))
	seqs := make([]uint64, 0, len(batch))
	for b.Loop() {
		b.StopTimer()
		if _, err := q.Append(batch...); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		recs, err := q.Read(0, len(batch), 0)
		if err != nil || len(recs) != len(batch) {
			b.Fatalf("Read = %d records, %v", len(recs), err)
		}
		seqs = seqs[:0]
		for _, r := range recs {
			seqs = append(seqs, r.Seq)
		}
		q.Ack(seqs...)
	}
	b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "records/s")
}
