package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os/signal"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/a9de3765/cloudfuse/internal/cache/stream"
	"github.com/a9de3765/cloudfuse/internal/config"
	"github.com/a9de3765/cloudfuse/internal/health"
	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/filter"
	"github.com/a9de3765/cloudfuse/internal/storage/wrap"
	"github.com/a9de3765/cloudfuse/internal/vfs"
)

// serve mounts in this process and blocks until the filesystem is
// unmounted (by `cloudfuse unmount`, fusermount3 -u, or SIGINT/SIGTERM
// here), then flushes pending uploads. notify, when not nil, hears
// "mounted" or the error that stopped the mount. reload reads the config
// again as the mount did; SIGHUP (and a change of the file with
// watch-config) applies its new credentials.
func (a *app) serve(ctx context.Context, cfg *config.Config, warns []config.Warning, mnt string, extra []string,
	notify *notifier, reload func() (*config.Config, error)) error {
	dest := logDestination(cfg, notify == nil)
	log, closer, err := newLogger(cfg, dest, a.stderr)
	if err != nil {
		return err
	}
	defer closer.Close()
	for _, w := range warns {
		log.Warn("config: " + w.String())
	}
	log.Info("starting", "version", versionString(), "mountpoint", mnt, "config", cfg.File())
	log.Debug("configuration", "config", cfg)
	logCompatibility(cfg, log)
	prof, err := startProfiler(cfg, log)
	if err != nil {
		return err
	}
	defer prof.stop()

	// Until the mount is up, a signal cancels the setup; after it, a
	// signal unmounts.
	sigCtx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	s, err := openStore(sigCtx, cfg, log)
	if err != nil {
		return err
	}
	if reload != nil {
		rl := &reloader{load: reload, apply: s.setCredentials, log: log, cur: cfg}
		rl.run(sigCtx, cfg.File(), cfg.WatchConfig)
	}
	if err := checkStore(sigCtx, cfg, s, log); err != nil {
		s.backend.Close()
		return err
	}
	var v *vfs.FS // set before the health endpoint starts
	vo := vfsOptions(cfg, log)
	preload := func(r health.PreloadRequest) error {
		return v.Preload(context.Background(), r.Dir, cmp.Or(r.Workers, vo.UploadConcurrency))
	}
	// The mount unmounts on request (POST /unmount on the health socket):
	// how `cloudfuse unmount` stops a mount where there is no unmount
	// command (Windows).
	var live struct {
		sync.Mutex
		srv served
	}
	unmountOnRequest := func() error {
		live.Lock()
		srv := live.srv
		live.Unlock()
		if srv == nil {
			return errors.New("the mount is not up yet")
		}
		return srv.Unmount()
	}
	mon := health.New(health.Options{
		Unmount: unmountOnRequest,
		Mount: health.MountInfo{Mountpoint: mnt, Source: mountSource(cfg), Store: storeText(s),
			Config: absPath(cfg.File()), Version: versionString()},
		Cache:        cacheStats(cfg),
		Preload:      func() (health.Preload, bool) { return preloadStatus(v) },
		DiskTier:     func() (health.DiskTier, bool) { return diskTierStats(v) },
		StartPreload: preload,
	})
	b, err := storeView(cfg, s.backend, mon, log)
	if err != nil {
		s.backend.Close()
		return err
	}
	vo.CacheOwner = mnt
	if vo.Stream != nil {
		// Keep the daemon within the budget (stream.BufferBudget,
		// stream.MemoryLimit).
		debug.SetMemoryLimit(stream.MemoryLimit(streamMemory(cfg), vo.Budget.Max()))
	}
	v, err = vfs.New(sigCtx, b, vo)
	if err != nil {
		b.Close()
		return fmt.Errorf("file cache (file_cache.path): %w", err)
	}
	hl := a.startHealth(cfg, mon, s, mnt, dest, log)
	defer hl.stop()
	// Recorded before the kernel shows the mount, so `cloudfuse health`
	// works as soon as the mount appears.
	hl.record(log)
	fo := fuseOptions(cfg, mountSource(cfg), extra, log)
	fo.Observer = mon
	srv, err := mountFrontend(mnt, v, fo)
	if err != nil {
		// vfs.Close flushes nothing here (nothing was written) and closes
		// the store.
		_ = v.Close(context.Background())
		return err
	}
	live.Lock()
	live.srv = srv
	live.Unlock()
	log.Info("mounted", "mountpoint", mnt, "source", mountSource(cfg), "frontend", frontendName)
	if cfg.Preload {
		if err := preload(health.PreloadRequest{}); err != nil {
			log.Error("preload could not start", "err", err)
		} else {
			log.Info("preload started: every file of the mount is downloading into the file cache; see cloudfuse health")
		}
	}
	if notify != nil {
		notify.ready()
	}

	done := make(chan struct{})
	go func() {
		srv.Wait()
		close(done)
	}()
	select {
	case <-done:
		log.Info("unmounted", "mountpoint", mnt)
	case <-sigCtx.Done():
		log.Info("signal received, unmounting", "mountpoint", mnt)
		// A second signal kills the process the default way: dirty files
		// stay in the cache directory and upload on the next mount.
		stop()
		unmountServer(srv, mnt, log)
		<-done
	}
	log.Info("uploading pending files")
	if err := v.Close(context.Background()); err != nil {
		log.Error("some files could not be uploaded; they stay in the cache and upload on the next mount", "err", err)
		return fmt.Errorf("unmounted, but some files could not be uploaded (they upload on the next mount): %w", err)
	}
	log.Info("stopped")
	return nil
}

// unmountServer asks the FUSE library to unmount, retrying while the
// mount is busy, and detaches it lazily if it stays busy.
func unmountServer(srv served, mnt string, log *slog.Logger) {
	var err error
	for i := 0; i < 5; i++ {
		if err = srv.Unmount(); err == nil {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	log.Warn("unmount failed, detaching lazily", "mountpoint", mnt, "err", err)
	if err := detachMount(mnt); err != nil {
		log.Error("lazy unmount failed", "mountpoint", mnt, "err", err)
	}
}

// storeView is the store as the filesystem sees it: only what the blob
// filter shows (decided on the store's own keys, tags included), counted
// by the health monitor, new objects typed by their extension, the
// mounted subdirectory as the root, and names Windows refuses shown with
// look-alike characters (restricted-characters-windows).
func storeView(cfg *config.Config, raw storage.Backend, mon *health.Monitor, log *slog.Logger) (storage.Backend, error) {
	if f := cfg.Filter(); f != "" {
		e, err := filter.Parse(f) // checked at load
		if err != nil {
			return nil, err
		}
		raw = wrap.Filter(raw, e)
		log.Info("blob filter: only matching objects are shown, read-only", "filter", f)
	}
	b := mon.Store(raw)
	if cfg.SetContentType() {
		b = wrap.ContentTypes(b)
	}
	if sub := config.CleanSubdirectory(cfg.Subdirectory()); sub != "" {
		b = wrap.Prefix(b, sub)
	}
	if cfg.RestrictedCharactersWindows {
		b = wrap.WindowsNames(b)
		log.Info(`restricted-characters-windows: names with \ : * ? " < > | or a trailing dot or space show with look-alike characters`)
	}
	return b, nil
}

// preloadStatus is the health view of the filesystem's preload.
func preloadStatus(v *vfs.FS) (health.Preload, bool) {
	s, ok := v.PreloadStatus()
	if !ok {
		return health.Preload{}, false
	}
	now := time.Now()
	eta := -1.0
	if d := s.ETA(now); d >= 0 {
		eta = d.Seconds()
	}
	return health.Preload{Dir: strings.TrimSuffix(s.Prefix, "/"), Running: s.Running, Started: s.Started,
		Ended: s.Ended, Listed: s.Listed, Files: s.Files, FilesDone: s.FilesDone, FilesCached: s.FilesCache,
		Bytes: s.Bytes, BytesDone: s.BytesDone, BytesPerSec: s.Rate(now), ETASeconds: eta, Error: s.Err}, true
}

// diskTierStats is the health view of the disk tier.
func diskTierStats(v *vfs.FS) (health.DiskTier, bool) {
	d, ok := v.DiskTierStats()
	return health.DiskTier{Dir: d.Dir, Blocks: d.Blocks, Bytes: d.Bytes, MaxBytes: d.MaxBytes, Hits: d.Hits,
		Misses: d.Misses, Corrupt: d.Corrupt, Writes: d.Writes, Evictions: d.Evictions}, ok
}
