package health

import (
	"context"
	"time"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/wrap"
)

// timedLister times storage.UploadLister calls: listing uploads as a
// list, aborting one as an abort, as wrap.Instrument counts them.
type timedLister struct {
	tb *timedBackend
	l  storage.UploadLister
}

func (tl timedLister) ListUploads(ctx context.Context, prefix string) ([]storage.PendingUpload, error) {
	defer tl.tb.since(wrap.OpList, time.Now())
	return tl.l.ListUploads(ctx, prefix)
}

func (tl timedLister) AbortUpload(ctx context.Context, key, id string) error {
	defer tl.tb.since(wrap.OpAbort, time.Now())
	return tl.l.AbortUpload(ctx, key, id)
}

// UploadID is the timed upload's ID, or "".
func (u *timedUpload) UploadID() string { return storage.UploadIDOf(u.up) }
