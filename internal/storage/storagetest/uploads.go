package storagetest

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// uploadCases check storage.UploadLister on stores that implement it; on
// others every case skips.
func uploadCases() []testCase {
	return []testCase{
		{"ListShowsPending", testUploadsListed},
		{"ListByPrefix", testUploadsPrefix},
		{"FinishedNotListed", testUploadsFinished},
		{"AbortByID", testUploadsAbortByID},
	}
}

func lister(t *testing.T, b storage.Backend) storage.UploadLister {
	t.Helper()
	l, ok := b.(storage.UploadLister)
	if !ok {
		t.Skipf("%s store keeps no list of pending uploads", b.Caps().Name)
	}
	return l
}

// startUpload starts an upload of key with one part written.
func startUpload(t *testing.T, b storage.Backend, key string) storage.Upload {
	t.Helper()
	up, err := b.CreateUpload(t.Context(), key, storage.PutOptions{})
	if err != nil {
		t.Fatalf("create upload %q: %v", key, err)
	}
	t.Cleanup(func() { _ = up.Abort(context.WithoutCancel(t.Context())) })
	if _, err := up.WritePart(t.Context(), 1, bytes.NewReader(Data(7, PartSize(b.Caps())))); err != nil {
		t.Fatalf("write part of %q: %v", key, err)
	}
	return up
}

// mustListUploads lists the uploads under prefix, as "key" strings.
func mustListUploads(t *testing.T, l storage.UploadLister, prefix string) []storage.PendingUpload {
	t.Helper()
	ups, err := l.ListUploads(t.Context(), prefix)
	if err != nil {
		t.Fatalf("list uploads under %q: %v", prefix, err)
	}
	return ups
}

func uploadKeys(ups []storage.PendingUpload) []string {
	out := make([]string, len(ups))
	for i, u := range ups {
		out[i] = u.Key
	}
	slices.Sort(out)
	return out
}

// A started upload is listed with its key, its ID and a plausible
// initiation time, and no object appears for it.
func testUploadsListed(t *testing.T, b storage.Backend) {
	l := lister(t, b)
	before := time.Now()
	up := startUpload(t, b, "dir/pending")
	ups := mustListUploads(t, l, "")
	if len(ups) != 1 || ups[0].Key != "dir/pending" {
		t.Fatalf("pending uploads: %+v, want one of dir/pending", ups)
	}
	if id := storage.UploadIDOf(up); id == "" || ups[0].ID != id {
		t.Fatalf("listed ID %q, upload's own ID %q", ups[0].ID, id)
	}
	// Server clocks drift; a day either way only catches a missing time.
	if d := ups[0].Initiated.Sub(before); d < -24*time.Hour || d > 24*time.Hour {
		t.Fatalf("initiated %v, started near %v", ups[0].Initiated, before)
	}
	MustNotExist(t, b, "dir/pending")
}

// Only uploads whose key starts with the prefix are listed; several
// uploads of one key are listed each.
func testUploadsPrefix(t *testing.T, b storage.Backend) {
	l := lister(t, b)
	for _, k := range []string{"a/x", "a/y", "ab", "b/x"} {
		startUpload(t, b, k)
	}
	startUpload(t, b, "a/x")
	if got, want := uploadKeys(mustListUploads(t, l, "a/")), []string{"a/x", "a/x", "a/y"}; !slices.Equal(got, want) {
		t.Fatalf("uploads under a/: %q, want %q", got, want)
	}
	if got, want := uploadKeys(mustListUploads(t, l, "")), []string{"a/x", "a/x", "a/y", "ab", "b/x"}; !slices.Equal(got, want) {
		t.Fatalf("all uploads: %q, want %q", got, want)
	}
	if got := mustListUploads(t, l, "c/"); len(got) != 0 {
		t.Fatalf("uploads under c/: %+v, want none", got)
	}
}

// Completed and aborted uploads are no longer listed.
func testUploadsFinished(t *testing.T, b storage.Backend) {
	l := lister(t, b)
	ctx := t.Context()
	MustUpload(t, b, "done", [][]byte{[]byte("x")}, storage.PutOptions{})
	up := startUpload(t, b, "aborted")
	if err := up.Abort(ctx); err != nil {
		t.Fatal(err)
	}
	if got := mustListUploads(t, l, ""); len(got) != 0 {
		t.Fatalf("uploads after complete and abort: %+v, want none", got)
	}
}

// AbortUpload discards an upload by key and ID: it is no longer listed,
// its Complete fails, nothing becomes visible, and aborting it again is
// not an error. Other uploads stay.
func testUploadsAbortByID(t *testing.T, b storage.Backend) {
	l := lister(t, b)
	ctx := t.Context()
	up := startUpload(t, b, "victim")
	startUpload(t, b, "other")
	id := storage.UploadIDOf(up)
	if err := l.AbortUpload(ctx, "victim", id); err != nil {
		t.Fatalf("abort by id: %v", err)
	}
	if got, want := uploadKeys(mustListUploads(t, l, "")), []string{"other"}; !slices.Equal(got, want) {
		t.Fatalf("uploads after abort: %q, want %q", got, want)
	}
	if err := l.AbortUpload(ctx, "victim", id); err != nil {
		t.Fatalf("second abort by id: %v", err)
	}
	part := storage.Part{Number: 1}
	if _, err := up.Complete(ctx, []storage.Part{part}); err == nil {
		t.Fatal("complete after abort by id succeeded")
	}
	MustNotExist(t, b, "victim")
}
