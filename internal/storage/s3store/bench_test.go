package s3store

import (
	"bytes"
	"io"
	"testing"

	"golang.org/x/sync/errgroup"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/storagetest"
)

// Raw S3 throughput on the test server: the baseline a mount is measured
// against. Run with `make bench-s3` (or go test -run '^$' -bench . with the
// test server's variables set).
const (
	benchObjectSize = 256 << 20
	benchPartSize   = 8 << 20
	benchInFlight   = 8
)

// benchStore returns a store on a fresh bucket holding "object", 256 MiB.
func benchStore(b *testing.B) (*Store, []byte) {
	b.Helper()
	s := newTestStore(b)
	data := storagetest.Data(42, benchObjectSize)
	if _, err := s.Put(b.Context(), "object", bytes.NewReader(data), storage.PutOptions{}); err != nil {
		b.Fatal(err)
	}
	return s, data
}

// BenchmarkGetStream reads the whole object with one GetObject stream.
func BenchmarkGetStream(b *testing.B) {
	s, _ := benchStore(b)
	buf := make([]byte, 1<<20)
	read := func() {
		rc, _, err := s.Get(b.Context(), "object", storage.GetOptions{Length: -1})
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.CopyBuffer(io.Discard, rc, buf)
		_ = rc.Close()
		if err != nil || n != benchObjectSize {
			b.Fatalf("read %d bytes: %v", n, err)
		}
	}
	read() // warm up connections and memory
	b.SetBytes(benchObjectSize)
	for b.Loop() {
		read()
	}
}

// BenchmarkGetParallelRanges reads the object as 8 MiB ranged GETs, eight
// in flight, into one buffer.
func BenchmarkGetParallelRanges(b *testing.B) {
	s, data := benchStore(b)
	dst := make([]byte, benchObjectSize)
	read := func() {
		g, ctx := errgroup.WithContext(b.Context())
		g.SetLimit(benchInFlight)
		for off := 0; off < benchObjectSize; off += benchPartSize {
			g.Go(func() error {
				rc, _, err := s.Get(ctx, "object", storage.GetOptions{Offset: int64(off), Length: benchPartSize})
				if err != nil {
					return err
				}
				defer rc.Close()
				_, err = io.ReadFull(rc, dst[off:off+benchPartSize])
				return err
			})
		}
		if err := g.Wait(); err != nil {
			b.Fatal(err)
		}
	}
	read()
	if !bytes.Equal(dst, data) {
		b.Fatal("ranged reads returned the wrong bytes")
	}
	b.SetBytes(benchObjectSize)
	for b.Loop() {
		read()
	}
}

// BenchmarkPutMultipart writes 256 MiB as a multipart upload of 8 MiB
// parts, eight in flight.
func BenchmarkPutMultipart(b *testing.B) {
	s := newTestStore(b)
	data := storagetest.Data(43, benchObjectSize)
	write := func() {
		u, err := s.CreateUpload(b.Context(), "multipart", storage.PutOptions{})
		if err != nil {
			b.Fatal(err)
		}
		parts := make([]storage.Part, benchObjectSize/benchPartSize)
		g, ctx := errgroup.WithContext(b.Context())
		g.SetLimit(benchInFlight)
		for i := range parts {
			g.Go(func() error {
				off := i * benchPartSize
				p, err := u.WritePart(ctx, i+1, bytes.NewReader(data[off:off+benchPartSize]))
				parts[i] = p
				return err
			})
		}
		if err := g.Wait(); err != nil {
			_ = u.Abort(b.Context())
			b.Fatal(err)
		}
		if _, err := u.Complete(b.Context(), parts); err != nil {
			b.Fatal(err)
		}
	}
	write()
	b.SetBytes(benchObjectSize)
	for b.Loop() {
		write()
	}
}

// BenchmarkPutSingle writes 256 MiB with one PutObject.
func BenchmarkPutSingle(b *testing.B) {
	s := newTestStore(b)
	data := storagetest.Data(44, benchObjectSize)
	write := func() {
		if _, err := s.Put(b.Context(), "single", bytes.NewReader(data), storage.PutOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	write()
	b.SetBytes(benchObjectSize)
	for b.Loop() {
		write()
	}
}
