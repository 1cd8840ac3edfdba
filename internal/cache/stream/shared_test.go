package stream

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// ReadShared returns the object's bytes as buffers that stay the reader's
// until released: Close while a reply still uses them must not give them
// back, and releasing afterwards must.
func TestReadSharedPinsBuffersUntilRelease(t *testing.T) {
	s, obj, data := newStore(t, 3<<20+17)
	budget := NewBudget(4 << 20)
	r := NewReader(s, refOf(obj), smallOpts(budget))
	scratch := make([]byte, 96<<10)
	var got []byte
	var held []func()
	for off := int64(0); ; off += int64(len(scratch)) {
		bufs, release, err := r.ReadShared(t.Context(), scratch, off)
		for _, b := range bufs {
			got = append(got, b...)
		}
		held = append(held, release)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(held) > 3 { // keep a few replies in flight
			held[0]()
			held = held[1:]
		}
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("read %d bytes that differ from the object", len(got))
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if inUseByReaders(budget) == 0 {
		t.Fatal("buffers still in use by replies were given back at Close")
	}
	for _, release := range held {
		release()
	}
	if n := inUseByReaders(budget); n != 0 {
		t.Fatalf("%d bytes still used after every release", n)
	}
}

// Without room in the budget the bytes are read into scratch, in place.
func TestReadSharedWithoutRoomUsesScratch(t *testing.T) {
	s, obj, data := newStore(t, 1<<20)
	budget := NewBudget(1 << 20)
	if !budget.TryAcquire(1 << 20) {
		t.Fatal("could not fill the budget")
	}
	r := NewReader(s, refOf(obj), ReaderOptions{Budget: budget})
	defer r.Close()
	scratch := make([]byte, 64<<10)
	bufs, release, err := r.ReadShared(t.Context(), scratch, 4096)
	defer release()
	if err != nil {
		t.Fatal(err)
	}
	if len(bufs) != 1 || &bufs[0][0] != &scratch[0] {
		t.Fatalf("got %d slices, want one slice of scratch", len(bufs))
	}
	if !bytes.Equal(bufs[0], data[4096:4096+len(scratch)]) {
		t.Fatal("bytes differ from the object")
	}
}
