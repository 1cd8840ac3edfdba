package memstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"strings"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// newUploadID names an upload, like S3's opaque UploadId.
func newUploadID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

// UploadID is the ID ListUploads shows for this upload.
func (u *upload) UploadID() string { return u.id }

// ListUploads returns the uploads under prefix neither completed nor
// aborted, by key and then by initiation time, as S3 lists them.
func (s *Store) ListUploads(ctx context.Context, prefix string) ([]storage.PendingUpload, error) {
	if err := s.begin(ctx, "list", prefix); err != nil {
		return nil, err
	}
	s.mu.RLock()
	var out []storage.PendingUpload
	for u := range s.uploads {
		if strings.HasPrefix(u.key, prefix) {
			out = append(out, storage.PendingUpload{Key: u.key, ID: u.id, Initiated: u.initiated})
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b storage.PendingUpload) int {
		if c := strings.Compare(a.Key, b.Key); c != 0 {
			return c
		}
		return a.Initiated.Compare(b.Initiated)
	})
	return out, nil
}

// AbortUpload discards upload id of key; a missing one is not an error.
func (s *Store) AbortUpload(ctx context.Context, key, id string) error {
	if err := s.begin(ctx, "upload", key); err != nil {
		return err
	}
	s.mu.RLock()
	var found *upload
	for u := range s.uploads {
		if u.id == id && u.key == key {
			found = u
			break
		}
	}
	s.mu.RUnlock()
	if found == nil {
		return nil
	}
	return found.Abort(ctx)
}
