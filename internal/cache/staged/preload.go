package staged

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/a9de3765/cloudfuse/internal/cache/content"
	"github.com/a9de3765/cloudfuse/internal/storage"
)

// Preload downloads every object under a prefix into the cache as clean
// copies (BlobFuse2's --preload), several files at once. A copy becomes
// visible to opens only when complete, so a preload cut short (unmount,
// kill) leaves no partial file: an unfinished download is removed, and
// one a killed daemon left is an orphan the next mount deletes. Preloaded
// copies are not evicted by the cache timeout before they are first
// used; the size and disk limits still apply to them, and a preload that
// would pass them stops instead of evicting what it loaded.

// ErrPreloadRunning says a preload is already running on the mount.
var ErrPreloadRunning = errors.New("a preload is already running on this mount")

// errCacheFull stops a preload at the cache's limit.
var errCacheFull = errors.New("the file cache is full")

// PreloadOptions selects what Preload loads.
type PreloadOptions struct {
	Prefix  string // keys under it ("" for all)
	Workers int    // files downloaded at once (at least 1)
	// Skip, if set, says an object is not a file's data (a directory
	// marker, a symlink) and is not loaded.
	Skip func(storage.Object) bool
}

// PreloadStatus is the progress of the last preload.
type PreloadStatus struct {
	Prefix  string    `json:"prefix"`
	Running bool      `json:"running"`
	Started time.Time `json:"started"`
	Ended   time.Time `json:"ended,omitzero"`
	// Listed says every object under the prefix is counted: until then
	// the totals grow.
	Listed     bool  `json:"listed"`
	Files      int64 `json:"files"`       // files to load
	FilesDone  int64 `json:"files_done"`  // loaded, or already cached
	FilesCache int64 `json:"files_cache"` // of FilesDone, already cached
	Bytes      int64 `json:"bytes"`
	BytesDone  int64 `json:"bytes_done"`
	// Err says why the preload stopped early ("" when it finished or
	// runs).
	Err string `json:"error,omitempty"`
}

// preloadState is the cache's one preload.
type preloadState struct {
	mu     sync.Mutex
	status PreloadStatus
	cancel context.CancelFunc
	done   chan struct{}

	files, filesDone, filesCache, bytes, bytesDone atomic.Int64
}

// PreloadStatus returns the progress of the running or last preload, and
// false if there was none.
func (c *Cache) PreloadStatus() (PreloadStatus, bool) {
	p := c.preload.Load()
	if p == nil {
		return PreloadStatus{}, false
	}
	p.mu.Lock()
	s := p.status
	p.mu.Unlock()
	s.Files, s.FilesDone, s.FilesCache = p.files.Load(), p.filesDone.Load(), p.filesCache.Load()
	s.Bytes, s.BytesDone = p.bytes.Load(), p.bytesDone.Load()
	return s, true
}

// StartPreload starts a preload in the background; it runs until done,
// until the cache is full, or until ctx is canceled or the cache closes.
func (c *Cache) StartPreload(ctx context.Context, o PreloadOptions) error {
	p := &preloadState{status: PreloadStatus{Prefix: o.Prefix, Running: true, Started: time.Now()},
		done: make(chan struct{})}
	for {
		old := c.preload.Load()
		if old != nil {
			if s, _ := c.PreloadStatus(); s.Running {
				return ErrPreloadRunning
			}
		}
		if c.preload.CompareAndSwap(old, p) {
			break
		}
	}
	ctx, p.cancel = context.WithCancel(ctx)
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		p.cancel()
		err := errors.New("the mount is closing")
		p.mu.Lock()
		p.status.Running, p.status.Ended, p.status.Err = false, time.Now(), err.Error()
		p.mu.Unlock()
		close(p.done)
		return err
	}
	c.bg.Add(1) // under mu: Close waits for it, or refuses it
	c.mu.Unlock()
	go func() {
		defer c.bg.Done()
		defer close(p.done)
		err := c.runPreload(ctx, p, o)
		p.mu.Lock()
		p.status.Running, p.status.Ended = false, time.Now()
		if err != nil {
			p.status.Err = err.Error()
		}
		p.mu.Unlock()
		c.logPreload(p, err)
	}()
	go func() {
		select {
		case <-c.stop:
			p.cancel()
		case <-p.done:
		}
	}()
	return nil
}

// WaitPreload waits for the running preload, if any, to end.
func (c *Cache) WaitPreload(ctx context.Context) {
	if p := c.preload.Load(); p != nil {
		select {
		case <-p.done:
		case <-ctx.Done():
		}
	}
}

// runPreload lists the prefix and feeds the objects to the workers.
func (c *Cache) runPreload(ctx context.Context, p *preloadState, o PreloadOptions) error {
	g, gctx := errgroup.WithContext(ctx)
	work := make(chan storage.Object)
	for range max(o.Workers, 1) {
		g.Go(func() error {
			for obj := range work {
				if err := c.preloadOne(gctx, p, obj); err != nil {
					return err
				}
			}
			return nil
		})
	}
	g.Go(func() error {
		defer close(work)
		// Sizes and ETags are all a preload needs; MinIO's listing
		// metadata costs the server a read per object.
		lo := storage.ListOptions{Prefix: o.Prefix, NoMetadata: true}
		for {
			page, err := c.b.List(gctx, lo)
			if err != nil {
				return fmt.Errorf("listing %q: %w", o.Prefix, err)
			}
			for _, obj := range page.Objects {
				if obj.Size == 0 || (o.Skip != nil && o.Skip(obj)) {
					continue
				}
				p.files.Add(1)
				p.bytes.Add(obj.Size)
				select {
				case work <- obj:
				case <-gctx.Done():
					return gctx.Err()
				}
			}
			if page.NextToken == "" {
				p.mu.Lock()
				p.status.Listed = true
				p.mu.Unlock()
				return nil
			}
			lo.ContinuationToken = page.NextToken
		}
	})
	go c.reportPreload(ctx, p)
	return g.Wait()
}

// preloadOne loads one object unless a copy of its version is cached.
func (c *Cache) preloadOne(ctx context.Context, p *preloadState, obj storage.Object) error {
	v := content.Version{Key: obj.Key, ETag: obj.ETag, Size: obj.Size}
	if c.hasCopy(v) {
		p.filesCache.Add(1)
		p.filesDone.Add(1)
		p.bytesDone.Add(obj.Size)
		return nil
	}
	if err := c.preloadRoom(obj.Size); err != nil {
		return err
	}
	lf, name, err := c.newDataFile()
	if err != nil {
		return err
	}
	_, err = c.download(ctx, v, lf, nil)
	if cerr := lf.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(c.dataPath(name))
		if errors.Is(err, storage.ErrPrecondition) || errors.Is(err, storage.ErrNotFound) {
			// Changed or deleted since the listing: an open fetches it.
			p.filesDone.Add(1)
			return nil
		}
		return fmt.Errorf("%s: %w", obj.Key, err)
	}
	c.putPreloaded(v, c.dataPath(name))
	p.filesDone.Add(1)
	p.bytesDone.Add(obj.Size)
	return nil
}

// hasCopy says whether a clean copy of exactly v is cached.
func (c *Cache) hasCopy(v content.Version) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	it := c.items[v.Key]
	return it != nil && it.etag == v.ETag && it.size == v.Size
}

// putPreloaded keeps a preloaded copy, pinned until its first use.
func (c *Cache) putPreloaded(v content.Version, path string) {
	c.put(v.Key, v.ETag, path, v.Size)
	c.mu.Lock()
	if it := c.items[v.Key]; it != nil && it.path == path {
		it.pinned = true
	}
	c.mu.Unlock()
}

// preloadRoom says whether n more bytes stay under the cache's limits
// (max size and disk, at the high threshold) without evicting anything.
func (c *Cache) preloadRoom(n int64) error {
	high := int64(c.opts.High)
	if c.opts.MaxBytes > 0 {
		c.mu.Lock()
		total := c.itemBytes
		c.mu.Unlock()
		if (total+n)*100 > c.opts.MaxBytes*high {
			return fmt.Errorf("%w: %d MiB cached and the next file is %d MiB, past %d%% of file_cache.max-size-mb (%d MiB)",
				errCacheFull, total>>20, n>>20, high, c.opts.MaxBytes>>20)
		}
	}
	if used, size := diskUsage(c.opts.Dir); size > 0 && (used+n)*100 > size*high {
		return fmt.Errorf("%w: the next file (%d MiB) would fill the disk of %s past %d%% (%w)",
			errCacheFull, n>>20, c.opts.Dir, high, syscall.ENOSPC)
	}
	return nil
}

// reportPreload logs the progress every reportEvery until the preload
// ends.
func (c *Cache) reportPreload(ctx context.Context, p *preloadState) {
	t := time.NewTicker(reportEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.done:
			return
		case <-t.C:
			s, _ := c.PreloadStatus()
			c.log.Info("preload", s.logAttrs()...)
		}
	}
}

const reportEvery = 10 * time.Second

// logPreload logs how a preload ended.
func (c *Cache) logPreload(p *preloadState, err error) {
	s, _ := c.PreloadStatus()
	switch {
	case err == nil:
		c.log.Info("preload finished", s.logAttrs()...)
	case errors.Is(err, context.Canceled):
		c.log.Info("preload stopped before the end; what it loaded stays cached", s.logAttrs()...)
	case errors.Is(err, errCacheFull):
		c.log.Warn("preload stopped: the file cache is full; raise file_cache.max-size-mb or preload a subdirectory",
			append(s.logAttrs(), "err", err)...)
	default:
		c.log.Error("preload failed", append(s.logAttrs(), "err", err)...)
	}
}

// Rate is the bytes per second loaded so far (or over the whole run).
func (s PreloadStatus) Rate(now time.Time) float64 {
	end := now
	if !s.Ended.IsZero() {
		end = s.Ended
	}
	if d := end.Sub(s.Started).Seconds(); d > 0 {
		return float64(s.BytesDone) / d
	}
	return 0
}

// ETA is the time left at the rate so far, or -1 while the listing runs or
// nothing was loaded yet.
func (s PreloadStatus) ETA(now time.Time) time.Duration {
	r := s.Rate(now)
	if !s.Listed || r <= 0 || !s.Running {
		return -1
	}
	return time.Duration(float64(s.Bytes-s.BytesDone) / r * float64(time.Second))
}

func (s PreloadStatus) logAttrs() []any {
	now := time.Now()
	return []any{"prefix", s.Prefix, "files", s.FilesDone, "of_files", s.Files,
		"already_cached", s.FilesCache, "bytes", s.BytesDone, "of_bytes", s.Bytes,
		"mib_per_sec", fmt.Sprintf("%.1f", s.Rate(now)/(1<<20)), "listed", s.Listed}
}
