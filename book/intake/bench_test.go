package intake

import (
	"bytes"
	"fmt"
	"io"
	"testing"
)

// benchRows is the size of a big drop's batch.
const benchRows = 100_000

func genCSV(n int) []byte {
	var b bytes.Buffer
	b.WriteString("order_id,sku,quantity,customer,priority,due,notes\n")
	for i := range n {
		fmt.Fprintf(&b, "ord-%07d,tee-black-m,%d,Customer %d,%d,2025-06-%02d,\"gift wrap, please\"\n", i, i%50+1, i, i%10, i%28+1)
	}
	return b.Bytes()
}

func genJSON(n int) []byte {
	var b bytes.Buffer
	b.WriteString("{\"orders\": [\n")
	for i := range n {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, `  {"order_id": "ord-%07d", "sku": "tee-black-m", "quantity": %d, "customer": "Customer %d", "priority": %d, "due": "2025-06-%02d", "notes": "gift wrap, please"}`, i, i%50+1, i, i%10, i%28+1)
	}
	b.WriteString("\n]}\n")
	return b.Bytes()
}

func benchmarkReader(b *testing.B, input []byte, open func(io.Reader) (Reader, error)) {
	b.SetBytes(int64(len(input)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := open(bytes.NewReader(input))
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			_, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != benchRows {
			b.Fatalf("read %d rows, want %d", n, benchRows)
		}
	}
	b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkCSV100k parses a 100,000-row CSV batch.
func BenchmarkCSV100k(b *testing.B) {
	benchmarkReader(b, genCSV(benchRows), func(r io.Reader) (Reader, error) { return NewCSV(r) })
}

// BenchmarkJSON100k parses a 100,000-row JSON batch.
func BenchmarkJSON100k(b *testing.B) {
	benchmarkReader(b, genJSON(benchRows), func(r io.Reader) (Reader, error) { return NewJSON(r) })
}
