package storage

import (
	"context"
	"time"
)

// PendingUpload is a multipart upload the store still holds: started,
// neither completed nor aborted. Its parts cost storage but no object
// shows them.
type PendingUpload struct {
	Key       string
	ID        string    // the store's name for the upload (S3 UploadId)
	Initiated time.Time // when the store started it, by the store's clock
}

// UploadLister is implemented by stores that keep a list of unfinished
// multipart uploads and can abort one by its ID (S3 and its clones). vfs
// finds it by type assertion to clean up uploads left behind by a mount
// that was killed. Azure has no such list: staged blocks that no block
// list commits are discarded by the service after a week.
type UploadLister interface {
	// ListUploads returns every pending upload whose key starts with
	// prefix, reading every page of the store's listing.
	ListUploads(ctx context.Context, prefix string) ([]PendingUpload, error)
	// AbortUpload discards the upload id of key. An upload that is
	// already gone (completed or aborted) is not an error.
	AbortUpload(ctx context.Context, key, id string) error
}

// UploadIdentifier is implemented by an Upload whose store names it with
// an ID that UploadLister.AbortUpload accepts, so the caller can record
// the upload before sending parts and abort it after a crash. Decorators
// implement it on every upload; an empty ID means the store gave none.
type UploadIdentifier interface {
	UploadID() string
}

// UploadIDOf returns up's ID, or "" when its store gives uploads none.
func UploadIDOf(up Upload) string {
	if u, ok := up.(UploadIdentifier); ok {
		return u.UploadID()
	}
	return ""
}
