package vfs

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/a9de3765/cloudfuse/internal/cache/disktier"
	"github.com/a9de3765/cloudfuse/internal/cache/staged"
	"github.com/a9de3765/cloudfuse/internal/storage"
)

// PreloadStatus is the progress of a mount's preload.
type PreloadStatus = staged.PreloadStatus

// ErrPreloadRunning says a preload already runs on the mount.
var ErrPreloadRunning = staged.ErrPreloadRunning

// Preload starts loading every file under directory p into the file cache
// in the background, workers files at once; it runs until done, the cache
// is full, or the filesystem closes. Only a mount whose files are staged
// (the file cache data path) can preload.
func (v *FS) Preload(ctx context.Context, p string, workers int) error {
	if v.cache == nil || v.streamer != nil {
		return fmt.Errorf("%w: preload fills the file cache, and this mount streams its files (use the file_cache data path)", ErrNotSupp)
	}
	if p != "" {
		a, err := v.Lookup(ctx, p)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		if a.Kind != KindDir {
			return fmt.Errorf("%s: %w", p, ErrNotDir)
		}
	}
	err := v.cache.StartPreload(context.Background(), staged.PreloadOptions{
		Prefix: dirPrefix(p), Workers: workers, Skip: v.notFileData})
	if errors.Is(err, staged.ErrPreloadRunning) {
		return ErrPreloadRunning
	}
	return err
}

// PreloadStatus returns the progress of the running or last preload,
// false if there was none.
func (v *FS) PreloadStatus() (PreloadStatus, bool) {
	if v.cache == nil {
		return PreloadStatus{}, false
	}
	return v.cache.PreloadStatus()
}

// notFileData says a listed object holds no file's data: a directory
// marker or a symlink.
func (v *FS) notFileData(o storage.Object) bool {
	return strings.HasSuffix(o.Key, "/") || isFolderMarker(o) || isSymlinkObject(o) ||
		(!v.opts.NoSymlinks && strings.HasSuffix(o.Key, symlinkSuffix))
}

// DiskTierStats returns the counters of the streaming path's disk tier,
// false when the mount has none.
func (v *FS) DiskTierStats() (disktier.Stats, bool) {
	if v.disk == nil {
		return disktier.Stats{}, false
	}
	return v.disk.Stats(), true
}
