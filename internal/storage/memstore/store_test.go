package memstore_test

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/memstore"
	"github.com/a9de3765/cloudfuse/internal/storage/storagetest"
)

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Backend {
		s := memstore.New(memstore.Options{})
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// The Azure-like configuration: metadata in listings, small parts.
func TestConformanceListMetadata(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Backend {
		s := memstore.New(memstore.Options{ListMetadata: true, MinPartSize: 1000})
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func md5hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

func TestETagsFollowS3(t *testing.T) {
	s := memstore.New(memstore.Options{MinPartSize: 4})
	obj := storagetest.MustPut(t, s, "k", []byte("hello"))
	if obj.ETag != md5hex([]byte("hello")) {
		t.Fatalf("ETag %q is not the MD5 of the content", obj.ETag)
	}
	obj = storagetest.MustUpload(t, s, "mp", [][]byte{[]byte("abcd"), []byte("ef")}, storage.PutOptions{})
	a, _ := hex.DecodeString(md5hex([]byte("abcd")))
	b, _ := hex.DecodeString(md5hex([]byte("ef")))
	if want := md5hex(append(a, b...)) + "-2"; obj.ETag != want {
		t.Fatalf("multipart ETag %q, want %q", obj.ETag, want)
	}
}

func TestMultipartRules(t *testing.T) {
	ctx := t.Context()
	s := memstore.New(memstore.Options{MinPartSize: 10})
	up, err := s.CreateUpload(ctx, "k", storage.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s.PendingUploads() != 1 {
		t.Fatalf("pending uploads = %d", s.PendingUploads())
	}
	p1, _ := up.WritePart(ctx, 1, bytes.NewReader([]byte("short")))
	p2, _ := up.WritePart(ctx, 2, bytes.NewReader([]byte("last")))
	if _, err := up.Complete(ctx, []storage.Part{p1, p2}); err == nil {
		t.Fatal("complete accepted a non-last part below the minimum")
	}
	if _, err := up.WritePart(ctx, 0, bytes.NewReader(nil)); err == nil {
		t.Fatal("part number 0 accepted")
	}
	if _, err := up.Complete(ctx, []storage.Part{{Number: 1, ETag: "bogus"}}); err == nil {
		t.Fatal("complete accepted a wrong part ETag")
	}
	if _, err := up.Complete(ctx, []storage.Part{p1, p1}); err == nil {
		t.Fatal("complete accepted a part listed twice")
	}
	// Still open after failed completes: a valid one succeeds.
	if _, err := up.Complete(ctx, []storage.Part{p1}); err != nil {
		t.Fatal(err)
	}
	if s.PendingUploads() != 0 {
		t.Fatalf("pending uploads after complete = %d", s.PendingUploads())
	}
	if _, err := up.WritePart(ctx, 3, bytes.NewReader(nil)); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("write part after complete: %v", err)
	}
	if err := up.Abort(ctx); err != nil {
		t.Fatalf("abort after complete: %v", err)
	}
	storagetest.MustContain(t, s, "k", []byte("short"))
}

func TestConditionalCompleteLeavesUploadOpen(t *testing.T) {
	ctx := t.Context()
	s := memstore.New(memstore.Options{})
	storagetest.MustPut(t, s, "k", []byte("exists"))
	up, err := s.CreateUpload(ctx, "k", storage.PutOptions{IfNoneMatch: "*"})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := up.WritePart(ctx, 1, bytes.NewReader([]byte("new")))
	_, err = up.Complete(ctx, []storage.Part{p})
	storagetest.RequireKind(t, err, storage.ErrPrecondition)
	if s.PendingUploads() != 1 {
		t.Fatal("failed complete dropped the upload")
	}
	if err := up.Abort(ctx); err != nil || s.PendingUploads() != 0 {
		t.Fatalf("abort: %v, pending %d", err, s.PendingUploads())
	}
	storagetest.MustContain(t, s, "k", []byte("exists"))
}

func TestInvalidKeysAndLimits(t *testing.T) {
	ctx := t.Context()
	s := memstore.New(memstore.Options{})
	for _, k := range []string{"", "/abs", "a//b", strings.Repeat("x", 1025), "bad\xffutf8", "nul\x00"} {
		_, err := s.Put(ctx, k, bytes.NewReader(nil), storage.PutOptions{})
		storagetest.RequireKind(t, err, storage.ErrInvalidKey)
		_, err = s.Head(ctx, k)
		storagetest.RequireKind(t, err, storage.ErrInvalidKey)
	}
	storagetest.MustPut(t, s, strings.Repeat("x", 1024), nil)

	big := map[string]string{"k": strings.Repeat("v", 2048)}
	_, err := s.Put(ctx, "m", bytes.NewReader(nil), storage.PutOptions{Metadata: big})
	storagetest.RequireKind(t, err, storage.ErrTooLarge)
}

func TestReaderSeesSnapshot(t *testing.T) {
	ctx := t.Context()
	s := memstore.New(memstore.Options{})
	storagetest.MustPut(t, s, "k", []byte("old"))
	rc, _, err := s.Get(ctx, "k", storage.GetOptions{Length: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	storagetest.MustPut(t, s, "k", []byte("new"))
	buf := make([]byte, 10)
	n, _ := rc.Read(buf)
	if string(buf[:n]) != "old" {
		t.Fatalf("reader opened before the overwrite read %q", buf[:n])
	}
}

func TestClockAndClose(t *testing.T) {
	ctx := t.Context()
	at := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	s := memstore.New(memstore.Options{Now: func() time.Time { return at }})
	storagetest.MustPut(t, s, "k", nil)
	if h := storagetest.MustHead(t, s, "k"); !h.LastModified.Equal(at) {
		t.Fatalf("LastModified %v, want %v", h.LastModified, at)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Head(ctx, "k"); err == nil {
		t.Fatal("head after close succeeded")
	}
}
