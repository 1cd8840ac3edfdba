package vfs

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/memstore"
	"github.com/a9de3765/cloudfuse/internal/storage/wrap"
)

const eagerMiB = 1 << 20

// eagerRig is a file-cache mount with 1 MiB parts over a counted store.
type eagerRig struct {
	t     *testing.T
	ctx   context.Context
	mem   *memstore.Store
	meter *wrap.Meter
	v     *FS
}

func newEagerRig(t *testing.T, faults *wrap.Faults) *eagerRig {
	r := &eagerRig{t: t, ctx: context.Background(), mem: newMem(), meter: wrap.NewMeter()}
	var b storage.Backend = r.mem
	if faults != nil {
		b = wrap.Faulty(b, faults)
	}
	r.v = newTestFS(t, wrap.Instrument(b, r.meter), func(o *Options) { o.AttrTTL, o.NegativeTTL = 0, 0 })
	return r
}

func (r *eagerRig) count(op wrap.Op) int64 { return r.meter.Stats()[op].Requests }

// write appends data to h in 128 KiB writes, as the kernel sends them.
func (r *eagerRig) write(h *Handle, data []byte, off int64) {
	r.t.Helper()
	for i := 0; i < len(data); i += 128 << 10 {
		end := min(i+128<<10, len(data))
		if _, err := h.Write(r.ctx, data[i:end], off+int64(i)); err != nil {
			r.t.Fatal(err)
		}
	}
}

// waitParts waits until at least n parts were sent.
func (r *eagerRig) waitParts(n int64) {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for r.count(wrap.OpWritePart) < n {
		if time.Now().After(deadline) {
			r.t.Fatalf("%d parts sent, want %d before the file is closed", r.count(wrap.OpWritePart), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func (r *eagerRig) create(p string) *Handle {
	r.t.Helper()
	h, _, err := r.v.Create(r.ctx, p, OpenFlags{Write: true}, 0o640, 1000, 1000)
	if err != nil {
		r.t.Fatal(err)
	}
	return h
}

// started creates p, writes data to it and waits until parts were sent.
func (r *eagerRig) started(p string, data []byte, parts int64) *Handle {
	r.t.Helper()
	h := r.create(p)
	r.write(h, data, 0)
	r.waitParts(parts)
	return h
}

func (r *eagerRig) close(h *Handle) {
	r.t.Helper()
	if err := h.Flush(r.ctx); err != nil {
		r.t.Fatal(err)
	}
	if err := h.Release(r.ctx); err != nil {
		r.t.Fatal(err)
	}
}

// stored checks that key holds want and that no upload is left open.
func (r *eagerRig) stored(key string, want []byte) storage.Object {
	r.t.Helper()
	got, obj := get(r.t, r.mem, key)
	if !bytes.Equal([]byte(got), want) {
		r.t.Fatalf("%s: %d bytes stored, want %d (first difference at %d)", key, len(got), len(want), firstDiff([]byte(got), want))
	}
	if n := r.mem.PendingUploads(); n != 0 {
		r.t.Fatalf("%d multipart uploads left open", n)
	}
	return obj
}

func TestEagerSendsPartsWhileWriting(t *testing.T) {
	r := newEagerRig(t, nil)
	data := pattern(7, 6*eagerMiB+12345)
	h := r.create("big")
	r.write(h, data, 0)
	// Every part but the last whole one and the tail is ready: the file
	// extends one more part past each.
	r.waitParts(5)
	if n := r.count(wrap.OpCreateUpload); n != 1 {
		t.Fatalf("%d uploads created while writing, want 1", n)
	}
	if err := h.Flush(r.ctx); err != nil {
		t.Fatal(err)
	}
	open := h.Attr()
	if err := h.Release(r.ctx); err != nil {
		t.Fatal(err)
	}
	if n := r.count(wrap.OpWritePart); n != 7 {
		t.Fatalf("%d parts sent in all, want 7 (each byte once)", n)
	}
	if n := r.count(wrap.OpPut); n != 0 {
		t.Fatalf("%d whole-file puts, want none", n)
	}
	obj := r.stored("big", data)
	// The writes' own times are the object's Last-Modified, so a stat
	// now and after a remount agree.
	if _, ok := obj.Metadata[metaMtime]; ok {
		t.Fatalf("mtime stored as metadata %q; want Last-Modified", obj.Metadata[metaMtime])
	}
	if obj.Metadata[metaMode] != "33184" || obj.Metadata[metaUID] != "1000" {
		t.Fatalf("metadata %v", obj.Metadata)
	}
	a, err := r.v.Lookup(r.ctx, "big")
	if err != nil {
		t.Fatal(err)
	}
	want := obj.LastModified.Truncate(time.Second)
	if !a.Mtime.Equal(want) || !open.Mtime.Equal(want) || a.Size != int64(len(data)) {
		t.Fatalf("mtime %v while open, %v from the store, want %v (size %d)", open.Mtime, a.Mtime, want, a.Size)
	}
}

func TestEagerSmallFileIsOnePut(t *testing.T) {
	r := newEagerRig(t, nil)
	data := pattern(3, 2*eagerMiB-1)
	h := r.create("small")
	r.write(h, data, 0)
	r.close(h)
	if c, p := r.count(wrap.OpCreateUpload), r.count(wrap.OpPut); c != 0 || p != 1 {
		t.Fatalf("%d multipart uploads and %d puts, want 0 and 1", c, p)
	}
	r.stored("small", data)
}

func TestEagerRewriteOfSentBytesUploadsWhole(t *testing.T) {
	r := newEagerRig(t, nil)
	data := pattern(9, 5*eagerMiB)
	h := r.started("f", data, 1)
	// A header written last, into a part already sent.
	hdr := []byte("HEADER")
	copy(data[10:], hdr)
	r.write(h, hdr, 10)
	if n := r.count(wrap.OpAbort); n != 1 {
		t.Fatalf("%d aborts after the rewrite, want 1", n)
	}
	r.close(h)
	r.stored("f", data)
}

func TestEagerTruncateBelowSentBytes(t *testing.T) {
	r := newEagerRig(t, nil)
	data := pattern(11, 5*eagerMiB)
	h := r.started("f", data, 2)
	if err := h.Truncate(r.ctx, eagerMiB+7); err != nil {
		t.Fatal(err)
	}
	more := pattern(12, 3*eagerMiB)
	r.write(h, more, eagerMiB+7)
	r.close(h)
	r.stored("f", append(data[:eagerMiB+7:eagerMiB+7], more...))
}

func TestEagerRenameWhileWriting(t *testing.T) {
	r := newEagerRig(t, nil)
	data := pattern(5, 4*eagerMiB)
	h := r.create("tmp")
	r.write(h, data[:3*eagerMiB], 0)
	r.waitParts(1)
	if err := r.v.Rename(r.ctx, "tmp", "final", RenameFlags{}); err != nil {
		t.Fatal(err)
	}
	r.write(h, data[3*eagerMiB:], 3*eagerMiB)
	r.close(h)
	r.stored("final", data)
	if _, err := r.mem.Head(r.ctx, "tmp"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("old name: %v", err)
	}
}

func TestEagerUnlinkWhileWriting(t *testing.T) {
	r := newEagerRig(t, nil)
	h := r.started("gone", pattern(2, 4*eagerMiB), 1)
	if err := r.v.Unlink(r.ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	r.close(h)
	if _, err := r.mem.Head(r.ctx, "gone"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("unlinked file stored: %v", err)
	}
	if n := r.mem.PendingUploads(); n != 0 {
		t.Fatalf("%d multipart uploads left open", n)
	}
}

func TestEagerMetadataChangedWhileWriting(t *testing.T) {
	r := newEagerRig(t, nil)
	data := pattern(4, 4*eagerMiB)
	h := r.started("f", data, 1)
	mode := uint32(0o600)
	old := time.Unix(1500000000, 0)
	if _, err := r.v.Setattr(r.ctx, "f", h, SetAttr{Mode: &mode, Mtime: &old, Atime: &old}); err != nil {
		t.Fatal(err)
	}
	r.close(h)
	obj := r.stored("f", data)
	if obj.Metadata[metaMode] != "33152" || obj.Metadata[metaMtime] != "1500000000" {
		t.Fatalf("metadata after chmod and utimens while writing: %v", obj.Metadata)
	}
}

func TestEagerFailedPartFallsBackToWholeUpload(t *testing.T) {
	faults := wrap.NewFaults(1, wrap.Fault{Ops: []wrap.Op{wrap.OpWritePart}, Calls: []int{2}})
	r := newEagerRig(t, faults)
	data := pattern(8, 6*eagerMiB)
	h := r.create("f")
	r.write(h, data, 0)
	r.close(h)
	r.stored("f", data)
	if n := faults.Injected()[wrap.OpWritePart]; n != 1 {
		t.Fatalf("%d part failures injected, want 1", n)
	}
}

// TestEagerWritesOutOfOrder sends 128 KiB writes shuffled within windows
// of 4 MiB, as the kernel's write-back may deliver them, the first one not
// at offset 0: parts go out once their holes are filled, none is aborted.
func TestEagerWritesOutOfOrder(t *testing.T) {
	r := newEagerRig(t, nil)
	data := pattern(6, 8*eagerMiB)
	h := r.create("f")
	const piece, window = 128 << 10, 4 * eagerMiB
	rnd := rand.New(rand.NewPCG(1, 2))
	for w := 0; w < len(data); w += window {
		offs := []int{}
		for o := w; o < w+window; o += piece {
			offs = append(offs, o)
		}
		rnd.Shuffle(len(offs), func(i, j int) { offs[i], offs[j] = offs[j], offs[i] })
		for _, o := range offs {
			if _, err := h.Write(r.ctx, data[o:o+piece], int64(o)); err != nil {
				t.Fatal(err)
			}
		}
	}
	r.waitParts(6)
	r.close(h)
	if n := r.count(wrap.OpAbort); n != 0 {
		t.Fatalf("%d aborts", n)
	}
	if n := r.count(wrap.OpWritePart); n != 8 {
		t.Fatalf("%d parts sent, want 8", n)
	}
	r.stored("f", data)
}
