package health

import (
	"testing"
	"time"
)

// BenchmarkFuseOp is the cost the monitor adds to every filesystem
// operation.
func BenchmarkFuseOp(b *testing.B) {
	m := New(Options{})
	ops := []string{"read", "write", "getattr", "lookup"}
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			m.FuseOp(ops[i%len(ops)], time.Duration(i%5000)*time.Microsecond)
			i++
		}
	})
}

// BenchmarkSnapshot is the cost of one `cloudfuse health` or metrics
// scrape, without the cache walk.
func BenchmarkSnapshot(b *testing.B) {
	m := New(Options{})
	for _, op := range []string{"read", "write", "getattr", "lookup", "open", "release", "create", "flush"} {
		m.FuseOp(op, time.Millisecond)
	}
	b.ResetTimer()
	for range b.N {
		m.Snapshot()
	}
}
