package provenance

import (
	"crypto/ed25519"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// BenchmarkChain measures a unit's certificate of 20 revisions of 20 steps each: issuing the
// whole chain (canonical JSON, hash of the previous revision, signature, per revision) and
// verifying its file, beside crypto/ed25519 signing and verifying the same 20 canonical
// revisions alone, the peer. One op is the whole chain.
func BenchmarkChain(b *testing.B) {
	const revisions, steps = 20, 20
	ring := testRing(1)
	revs := make([]Revision, revisions)
	for i := range revs {
		revs[i] = sampleRevision("NL-000042", steps, i)
	}
	issue := func() *Chain {
		var c Chain
		for i := range revs {
			if err := c.Issue(revs[i], ring, day.Add(time.Duration(i)*time.Hour)); err != nil {
				b.Fatal(err)
			}
		}
		return &c
	}
	c := issue()
	data, err := c.Marshal()
	if err != nil {
		b.Fatal(err)
	}
	keys := ring.PublicKeys()
	key, _ := ring.signer()
	pub := key.Public().(ed25519.PublicKey)
	bodies := make([][]byte, revisions)
	for i := range c.Revisions {
		if bodies[i], err = c.Revisions[i].body(); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("issue", func(b *testing.B) {
		for b.Loop() {
			issue()
		}
	})
	b.Run("verify", func(b *testing.B) {
		for b.Loop() {
			if _, err := Verify(data, keys); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(data)), "file-bytes")
	})
	b.Run("peer-ed25519-sign", func(b *testing.B) {
		for b.Loop() {
			for _, body := range bodies {
				ed25519.Sign(key, body)
			}
		}
	})
	b.Run("peer-ed25519-verify", func(b *testing.B) {
		for b.Loop() {
			for i, body := range bodies {
				if !ed25519.Verify(pub, body, c.Revisions[i].Signature) {
					b.Fatal("signature does not verify")
				}
			}
		}
	})
}

// BenchmarkVerifyWorst measures the memory Verify takes for the worst file within the size
// limit, 4 MiB of empty arrays (the smallest value with the largest parse), which it refuses at
// the limit of values, beside encoding/json reading the same file into an any, the peer.
func BenchmarkVerifyWorst(b *testing.B) {
	prefix, suffix := `{"revisions":[{"revision":{"a":[`, `[]]},"signature":""}]}`
	n := (MaxFileBytes - len(prefix) - len(suffix)) / 3
	data := []byte(prefix + strings.Repeat("[],", n) + suffix)
	keys := testRing(1).PublicKeys()
	b.Run("verify", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Verify(data, keys); err == nil {
				b.Fatal("verified")
			}
		}
	})
	b.Run("peer-encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var v any
			if err := json.Unmarshal(data, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkChainRepairs measures the certificate of a rug of 20 steps that gained a revision for
// each of 40 repairs (three services, two makers, three notes and six photos each; every
// revision holds every repair before it): verifying its file, beside verifying the file of the
// same rug's 41 revisions without repairs, the peer. Each reports its file's size.
func BenchmarkChainRepairs(b *testing.B) {
	ring := testRing(1)
	repaired, plain := repairChains(b, ring, 40)
	keys := ring.PublicKeys()
	for _, bc := range []struct {
		name  string
		chain *Chain
	}{{"verify", repaired}, {"peer-verify-no-repairs", plain}} {
		data, err := bc.chain.Marshal()
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Verify(data, keys); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(data)), "file-bytes")
		})
	}
}
