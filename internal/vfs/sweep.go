package vfs

import (
	"context"
	"errors"
	"time"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// sweepStaleUploads aborts, in the background, every multipart upload
// under the mount's root that the store started more than
// Options.StaleUploadAge before this mount, whoever started it: such
// uploads are left by crashed clients and only cost storage. Uploads of
// this run are never touched. Stores without a list of uploads (Azure)
// are skipped.
func (v *FS) sweepStaleUploads(start time.Time) {
	defer v.bg.Done()
	lister, ok := v.b.(storage.UploadLister)
	if !ok || !v.waitListingOn() {
		return
	}
	ctx, cancel := v.untilClose()
	defer cancel()
	n, err := v.abortStale(ctx, lister, start)
	switch {
	case err != nil && ctx.Err() == nil:
		v.warn("stale multipart upload sweep failed", "aborted", n, "err", err)
	case err == nil:
		v.log.Info("stale multipart upload sweep done", "aborted", n,
			"older_than", v.opts.StaleUploadAge.String())
	}
}

// abortStale aborts the uploads initiated before both start and
// StaleUploadAge ago, and returns how many it aborted.
func (v *FS) abortStale(ctx context.Context, lister storage.UploadLister, start time.Time) (int, error) {
	ups, err := lister.ListUploads(ctx, "")
	if err != nil {
		return 0, err
	}
	cutoff := time.Now().Add(-v.opts.StaleUploadAge)
	if start.Before(cutoff) {
		cutoff = start
	}
	var n int
	var errs error
	for _, u := range ups {
		if !u.Initiated.Before(cutoff) || (v.cache != nil && v.cache.IsLive(u.ID)) {
			continue
		}
		if err := lister.AbortUpload(ctx, u.Key, u.ID); err != nil {
			if ctx.Err() != nil {
				return n, ctx.Err()
			}
			errs = errors.Join(errs, err)
			continue
		}
		n++
		v.log.Info("aborted a stale multipart upload", "path", u.Key, "upload_id", u.ID,
			"initiated", u.Initiated)
	}
	return n, errs
}
