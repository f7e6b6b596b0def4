package main

import (
	"math/bits"
	"time"
)

// histogram counts durations in log-linear buckets of microseconds: exact
// below 128 µs, then 64 buckets per power of two, so a percentile is off by
// under 1/64 (1.6 %) of its value. Its size is fixed whatever the number of
// samples, so that recording does not grow the memory being measured.
type histogram struct {
	counts [histBuckets]uint64
	n      uint64
	max    time.Duration
}

const (
	histLinear  = 128
	histSub     = 64
	histBuckets = histLinear + 58*histSub
)

// bucket returns the bucket of us microseconds.
func bucket(us uint64) int {
	if us < histLinear {
		return int(us)
	}
	e := bits.Len64(us) - 7 // us >> e is in 64..127
	return histLinear + (e-1)*histSub + int(us>>e) - histSub
}

// bucketFloor returns the smallest value of bucket i, in microseconds.
func bucketFloor(i int) uint64 {
	if i < histLinear {
		return uint64(i)
	}
	i -= histLinear
	e := i/histSub + 1
	return uint64(i%histSub+histSub) << e
}

// add counts d; negative durations count as 0.
func (h *histogram) add(d time.Duration) {
	h.n++
	h.max = max(h.max, d)
	h.counts[bucket(uint64(max(d, 0)/time.Microsecond))]++
}

// quantile returns the value at or below which a fraction q of the
// samples lie: the middle of its bucket, never above the largest sample.
// It is 0 without samples.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(q*float64(h.n) + 0.999999)
	rank = min(max(rank, 1), h.n)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			lo, hi := bucketFloor(i), bucketFloor(i+1)
			mid := time.Duration(lo+hi) * time.Microsecond / 2
			return min(mid, h.max)
		}
	}
	return h.max
}
