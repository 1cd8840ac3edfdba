// Package health measures a running mount: every filesystem operation and
// every store request (count, errors, bytes, latency histogram), open file
// handles, file cache use, and the daemon's CPU time and memory. A Monitor
// collects the numbers; the daemon exposes them as Prometheus text and as
// JSON over a local socket (Handler), writes them periodically as JSON
// lines (Recorder), and `cloudfuse health` prints them (WriteSummary).
package health

import (
	"sync/atomic"
	"time"
)

// LatencyBounds are the upper bounds, in seconds, of the latency
// histogram buckets; a last bucket catches everything slower.
func LatencyBounds() []float64 {
	return []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
		0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}
}

// numBuckets counts the histogram's buckets: one per bound plus +Inf.
const numBuckets = 18

// histogram counts durations into LatencyBounds buckets; safe for
// concurrent use without locks.
type histogram struct {
	buckets [numBuckets]atomic.Int64
	nanos   atomic.Int64
}

func (h *histogram) observe(d time.Duration) {
	s := d.Seconds()
	i := 0
	for _, b := range LatencyBounds() {
		if s <= b {
			break
		}
		i++
	}
	h.buckets[i].Add(1)
	h.nanos.Add(int64(d))
}

func (h *histogram) snapshot() Latency {
	l := Latency{Buckets: make([]int64, numBuckets)}
	for i := range h.buckets {
		l.Buckets[i] = h.buckets[i].Load()
	}
	l.SumSeconds = time.Duration(h.nanos.Load()).Seconds()
	return l
}

// Latency is a histogram snapshot. Buckets[i] counts durations at most
// LatencyBounds()[i] seconds (and above the previous bound); the last
// bucket counts the rest. The counts are per bucket, not cumulative.
type Latency struct {
	SumSeconds float64 `json:"sum_seconds"`
	Buckets    []int64 `json:"buckets"`
}

// Count is the number of durations in the histogram.
func (l Latency) Count() int64 {
	var n int64
	for _, c := range l.Buckets {
		n += c
	}
	return n
}

// Quantile returns the upper bound of the bucket holding the q-th quantile
// (0 < q <= 1), in seconds: an upper estimate. It returns 0 for an empty
// histogram and +Inf when the quantile is in the last bucket.
func (l Latency) Quantile(q float64) float64 {
	total := l.Count()
	if total == 0 {
		return 0
	}
	rank := int64(q*float64(total) + 0.999999)
	bounds := LatencyBounds()
	var cum int64
	for i, c := range l.Buckets {
		cum += c
		if cum >= rank {
			if i < len(bounds) {
				return bounds[i]
			}
			break
		}
	}
	return inf()
}

func inf() float64 {
	var zero float64
	return 1 / zero
}

// sub returns l minus prev, bucket by bucket.
func (l Latency) sub(prev Latency) Latency {
	out := Latency{SumSeconds: l.SumSeconds - prev.SumSeconds, Buckets: make([]int64, len(l.Buckets))}
	for i := range l.Buckets {
		out.Buckets[i] = l.Buckets[i]
		if i < len(prev.Buckets) {
			out.Buckets[i] -= prev.Buckets[i]
		}
	}
	return out
}
