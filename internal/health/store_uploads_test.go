package health

import (
	"testing"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/memstore"
)

// TestStoreKeepsUploadLister checks that the monitored store still lets
// the mount list and abort unfinished uploads by ID, as the store does.
func TestStoreKeepsUploadLister(t *testing.T) {
	s := memstore.New(memstore.Options{})
	b := New(Options{}).Store(s)
	l, ok := b.(storage.UploadLister)
	if !ok {
		t.Fatal("monitored store hides storage.UploadLister")
	}
	up, err := b.CreateUpload(t.Context(), "k", storage.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	id := storage.UploadIDOf(up)
	ups, err := l.ListUploads(t.Context(), "")
	if err != nil || len(ups) != 1 || ups[0].ID != id || id == "" {
		t.Fatalf("uploads %+v (%v), want one with ID %q", ups, err, id)
	}
	if err := l.AbortUpload(t.Context(), "k", id); err != nil || s.PendingUploads() != 0 {
		t.Fatalf("abort by ID: %v, %d uploads left", err, s.PendingUploads())
	}
}
