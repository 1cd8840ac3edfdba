package stream

import (
	"bytes"
	"io"
	"testing"

	"golang.org/x/sync/errgroup"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/storagetest"
)

// Throughput of the streaming data path against a raw GET or Put of the
// same object on the same store. Run on the in-memory store always and on
// the S3 test server when its variables are set:
//
//	go test -run '^$' -bench . -benchtime 5x ./internal/cache/stream/
//
// MB/s is the throughput; peak-MiB is the Budget's high-water mark.
const (
	benchSize   = 256 << 20
	benchBudget = 256 << 20
)

// BenchmarkRead reads a 256 MiB object from start to end: "raw" with one
// GET stream, the others through a Reader in reads of the named size, as
// the kernel asks (128k) or as a program with large buffers would (1m).
// "128k-x4" keeps four reads in flight like the kernel's async reads.
func BenchmarkRead(b *testing.B) {
	for _, be := range benchBackends() {
		b.Run(be.name, func(b *testing.B) {
			s := be.open(b)
			data := storagetest.Data(42, benchSize)
			obj, err := s.Put(b.Context(), "object", bytes.NewReader(data), storage.PutOptions{})
			if err != nil {
				b.Fatal(err)
			}
			b.Run("raw", func(b *testing.B) { benchRawGet(b, s) })
			for _, c := range []struct {
				name     string
				chunk    int
				inFlight int
			}{{"128k", 128 << 10, 1}, {"1m", 1 << 20, 1}, {"128k-x4", 128 << 10, 4}} {
				b.Run(c.name, func(b *testing.B) { benchReader(b, s, obj, data, c.chunk, c.inFlight) })
			}
		})
	}
}

// benchRawGet reads the object with one GET into a buffer of its size,
// as the Reader benchmarks do.
func benchRawGet(b *testing.B, s storage.Backend) {
	dst := make([]byte, benchSize)
	read := func() {
		rc, _, err := s.Get(b.Context(), "object", storage.GetOptions{Length: -1})
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.ReadFull(struct{ io.Reader }{rc}, dst)
		_ = rc.Close()
		if err != nil || n != benchSize {
			b.Fatalf("read %d bytes: %v", n, err)
		}
	}
	read() // warm up connections and memory
	b.SetBytes(benchSize)
	for b.Loop() {
		read()
	}
}

// benchReader reads the object through a new Reader per round, inFlight
// reads of chunk bytes at a time, checking the first round's bytes.
func benchReader(b *testing.B, s storage.Backend, obj storage.Object, data []byte, chunk, inFlight int) {
	budget := NewBudget(benchBudget)
	dst := make([]byte, benchSize)
	read := func() {
		r := NewReader(s, refOf(obj), ReaderOptions{Budget: budget})
		defer r.Close()
		g, ctx := errgroup.WithContext(b.Context())
		g.SetLimit(inFlight)
		for off := 0; off < benchSize; off += chunk {
			g.Go(func() error {
				_, err := r.ReadAt(ctx, dst[off:off+chunk], int64(off))
				return err
			})
		}
		if err := g.Wait(); err != nil {
			b.Fatal(err)
		}
	}
	read()
	if !bytes.Equal(dst, data) {
		b.Fatal("the Reader returned wrong bytes")
	}
	budget.ResetPeak()
	b.SetBytes(benchSize)
	for b.Loop() {
		read()
	}
	b.ReportMetric(float64(budget.Peak())/(1<<20), "peak-MiB")
}

// BenchmarkWrite writes a 256 MiB file: "raw" with one Put, "writer"
// through a Writer in 128 KiB writes (the kernel's size) and 1 MiB writes.
func BenchmarkWrite(b *testing.B) {
	for _, be := range benchBackends() {
		b.Run(be.name, func(b *testing.B) {
			s := be.open(b)
			data := storagetest.Data(43, benchSize)
			b.Run("raw", func(b *testing.B) {
				write := func() {
					if _, err := s.Put(b.Context(), "raw", bytes.NewReader(data), storage.PutOptions{}); err != nil {
						b.Fatal(err)
					}
				}
				write()
				b.SetBytes(benchSize)
				for b.Loop() {
					write()
				}
			})
			for _, c := range []struct {
				name  string
				chunk int
			}{{"128k", 128 << 10}, {"1m", 1 << 20}} {
				b.Run(c.name, func(b *testing.B) { benchWriter(b, s, data, c.chunk) })
			}
		})
	}
}

func benchWriter(b *testing.B, s storage.Backend, data []byte, chunk int) {
	budget := NewBudget(benchBudget)
	write := func() {
		w := NewWriter(s, "streamed", WriterOptions{Budget: budget})
		for off := 0; off < benchSize; off += chunk {
			if _, err := w.WriteAt(b.Context(), data[off:off+chunk], int64(off)); err != nil {
				b.Fatal(err)
			}
		}
		obj, err := w.Close(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		if obj.Size != benchSize {
			b.Fatalf("wrote %d bytes", obj.Size)
		}
	}
	write()
	rc, _, err := s.Get(b.Context(), "streamed", storage.GetOptions{Length: -1})
	if err != nil {
		b.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	_ = rc.Close()
	if err != nil || !bytes.Equal(got, data) {
		b.Fatalf("the Writer stored wrong bytes (%d of %d read, %v)", len(got), len(data), err)
	}
	budget.ResetPeak()
	b.SetBytes(benchSize)
	for b.Loop() {
		write()
	}
	b.ReportMetric(float64(budget.Peak())/(1<<20), "peak-MiB")
}
