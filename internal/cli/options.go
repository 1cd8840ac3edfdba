package cli

import (
	"cmp"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/a9de3765/cloudfuse/internal/cache/disktier"
	"github.com/a9de3765/cloudfuse/internal/cache/stream"
	"github.com/a9de3765/cloudfuse/internal/config"
	"github.com/a9de3765/cloudfuse/internal/diskspace"
	"github.com/a9de3765/cloudfuse/internal/fsrules"
	"github.com/a9de3765/cloudfuse/internal/vfs"
)

func seconds(n int) time.Duration { return time.Duration(n) * time.Second }

// directIO says whether the kernel page cache is bypassed
// (libfuse.direct-io or disable-kernel-cache).
func directIO(cfg *config.Config) bool {
	return cfg.Libfuse.DirectIO || cfg.DisableKernelCache
}

// cacheDir is where files are staged: block_cache.path for block_cache,
// else file_cache.path, else ~/.cloudfuse/file_cache. A read-only mount
// with block_cache or stream stages nothing and reads straight from the
// store.
func cacheDir(cfg *config.Config) string {
	switch cfg.DataPath() {
	case config.CompBlockCache, config.CompStream:
		if cfg.ReadOnly {
			return ""
		}
		if cfg.BlockCache.Path != "" && cfg.DataPath() == config.CompBlockCache {
			return cfg.BlockCache.Path
		}
	}
	return fileCachePath(cfg)
}

// fileCachePath is file_cache.path, else ~/.cloudfuse/file_cache.
func fileCachePath(cfg *config.Config) string {
	return cmp.Or(cfg.FileCache.Path, filepath.Join(workDir(cfg), "file_cache"))
}

// persistCache says whether clean copies in the file cache are kept for
// the next mount: BlobFuse2's allow-non-empty-temp (Cloudfuse's "persist
// file cache"), unless cleanup-on-start asks to empty the cache.
func persistCache(cfg *config.Config) bool {
	return cfg.DataPath() == config.CompFileCache && cfg.FileCache.AllowNonEmptyTemp && !cfg.FileCache.CleanupOnStart
}

// lazyWrite says whether closed files are uploaded in the background:
// lazy-write, on the file cache.
func lazyWrite(cfg *config.Config) bool {
	dp := cfg.DataPath()
	return cfg.LazyWrite && (dp == config.CompFileCache || dp == "")
}

// vfsOptions maps the config to filesystem options.
func vfsOptions(cfg *config.Config, log *slog.Logger) vfs.Options {
	o := vfs.Options{
		Layout:            vfs.LayoutS3,
		CacheDir:          cacheDir(cfg),
		CacheMaxBytes:     int64(cfg.FileCache.MaxSizeMB * (1 << 20)),
		MaxEviction:       cfg.FileCache.MaxEviction,
		HighDiskThreshold: cfg.FileCache.HighThreshold,
		LowDiskThreshold:  cfg.FileCache.LowThreshold,
		MaxCachedEntries:  cfg.AttrCache.MaxFiles,
		ReadOnly:          cfg.ReadOnly,
		LazyWrite:         lazyWrite(cfg),
		ListAhead:         cfg.AttrCache.ListAhead,
		ListHeads:         cfg.AttrCache.ListHeads,
		PersistCache:      persistCache(cfg),
		NoSymlinks:        !cfg.SymlinksEnabled(),
		FixedAttrs:        cfg.Libfuse.FixedAttributes,
		DefaultUID:        uint32(os.Getuid()),
		DefaultGID:        uint32(os.Getgid()),
		Logger:            log,
	}
	// Cloudfuse keeps a closed file at least one second; direct-io drops
	// it as soon as it can.
	o.CacheTimeout = max(seconds(cfg.FileCache.TimeoutSec), time.Second)
	if directIO(cfg) {
		o.CacheTimeout = time.Second
		// Other clients' changes show on the next open.
		o.RevalidateOnOpen = true
	}
	if cfg.Has(config.CompAttrCache) {
		o.AttrTTL = seconds(cfg.AttrCache.TimeoutSec)
	}
	if cfg.Storage() == config.CompS3 {
		o.StaleUploadAge = time.Duration(cfg.S3.StaleUploadHours * float64(time.Hour))
	}
	if cfg.Libfuse.UID != nil {
		o.DefaultUID = *cfg.Libfuse.UID
	}
	if cfg.Libfuse.GID != nil {
		o.DefaultGID = *cfg.Libfuse.GID
	}
	o.DefaultFileMode, o.DefaultDirMode = 0o644, 0o755
	switch {
	case cfg.Libfuse.DefaultPermission != 0:
		o.DefaultFileMode = uint32(cfg.Libfuse.DefaultPermission)
		o.DefaultDirMode = uint32(cfg.Libfuse.DefaultPermission)
	case cfg.AllowOther:
		o.DefaultFileMode, o.DefaultDirMode = 0o777, 0o777
	}
	o.DefaultFileMode &^= uint32(cfg.Libfuse.Umask)
	o.DefaultDirMode &^= uint32(cfg.Libfuse.Umask)
	switch cfg.Storage() {
	case config.CompAzure:
		o.Layout = vfs.LayoutAzure
		o.PartSize = cfg.Azure.BlockSizeMB << 20
		o.UploadConcurrency = cfg.Azure.MaxConcurrency
		o.NoListFor = seconds(cfg.Azure.BlockListOnMountSec)
		o.NoImplicitDirs = !cfg.Azure.VirtualDirectory
	case config.CompS3:
		o.PartSize = cfg.S3.PartSizeMB << 20
		o.UploadConcurrency = cfg.S3.Concurrency
		o.NoListFor = seconds(cfg.S3.BlockListOnMountSec)
		o.NoImplicitDirs = !cfg.S3.VirtualDirectory
	}
	// One budget for the buffers of every open file, streamed or staged.
	o.Budget = stream.NewBudget(stream.BufferBudget(streamMemory(cfg), streamPart(cfg)))
	// After the store's settings: streamed uploads use its concurrency.
	if dp := cfg.DataPath(); dp == config.CompBlockCache || dp == config.CompStream {
		o.Stream = streamOptions(cfg, o.Budget, o.UploadConcurrency)
	}
	return o
}

// streamOptions maps block_cache (or Cloudfuse's stream) to the streaming
// data path: parts of the block size, conc of them uploading at once
// (the store's concurrency), within the budget. Validate has already
// checked the values and the config layer applied the defaults.
func streamOptions(cfg *config.Config, budget *stream.Budget, conc int) *vfs.StreamOptions {
	part := streamPart(cfg)
	return &vfs.StreamOptions{
		PartSize:          part,
		MaxWindow:         min(int64(streamPrefetch(cfg))*part, budget.Max()/2),
		UploadConcurrency: stream.UploadConcurrency(conc, budget.Max(), part),
		Disk:              diskTier(cfg, part),
	}
}

// diskTier maps block_cache.path, disk-size-mb, disk-timeout-sec and
// cleanup-on-start to the disk tier of the streaming path. As in
// BlobFuse2 the tier is on when block_cache.path is set (or a disk size
// is given); without a size it may take 80% of the disk's free space at
// mount. Its blocks are 1 MiB (the block size when smaller), so reads of
// any alignment share them.
func diskTier(cfg *config.Config, part int64) disktier.Options {
	bc := cfg.BlockCache
	if cfg.DataPath() != config.CompBlockCache || (bc.Path == "" && bc.DiskSizeMB <= 0) {
		return disktier.Options{}
	}
	base := cmp.Or(bc.Path, fileCachePath(cfg))
	dir := filepath.Join(base, "blocks")
	size := bc.DiskSizeMB << 20
	if size <= 0 {
		size = freeSpace(base) / 10 * 8
	}
	return disktier.Options{Dir: dir, MaxBytes: max(size, 1<<20), BlockSize: min(part, diskBlock),
		Timeout: seconds(bc.DiskTimeoutSec), Cleanup: bc.CleanupOnStart}
}

// diskBlock is the block size of the disk tier.
const diskBlock = 1 << 20

// freeSpace is what the user may still write on the filesystem holding
// dir (or its nearest existing parent), 0 when unknown.
func freeSpace(dir string) int64 {
	for ; ; dir = filepath.Dir(dir) {
		if u, err := diskspace.Of(dir); err == nil {
			return u.Avail
		}
		if dir == filepath.Dir(dir) {
			return 0
		}
	}
}

// streamPart is the streaming part size; block-size-mb takes fractions
// (0.5 is 512 KiB blocks).
func streamPart(cfg *config.Config) int64 {
	if cfg.DataPath() == config.CompStream {
		return cfg.Stream.BlockSizeMB << 20
	}
	return int64(cfg.BlockCache.BlockSizeMB * (1 << 20))
}

// streamMemory is the memory budget of the mount in bytes:
// block_cache.mem-size-mb, or with the stream data path BlobFuse2's
// stream-cache-mb, else Cloudfuse's max-buffers x buffer-size-mb when
// both are set.
func streamMemory(cfg *config.Config) int64 {
	s := cfg.Stream
	switch {
	case cfg.DataPath() != config.CompStream:
	case s.StreamCacheMB > 0:
		return s.StreamCacheMB << 20
	case s.BufferSizeMB > 0 && s.MaxBuffers > 0:
		return s.BufferSizeMB * int64(s.MaxBuffers) << 20
	}
	return cfg.BlockCache.MemSizeMB << 20
}

// streamPrefetch is how many blocks one open file may read ahead:
// block_cache.prefetch, or with the stream data path BlobFuse2's
// max-blocks-per-file when set.
func streamPrefetch(cfg *config.Config) int {
	if cfg.DataPath() == config.CompStream && cfg.Stream.MaxBlocksPerFile > 0 {
		return cfg.Stream.MaxBlocksPerFile
	}
	return cfg.BlockCache.Prefetch
}

// fuseOptions maps the config to kernel mount options.
func fuseOptions(cfg *config.Config, source string, extra []string, log *slog.Logger) fsrules.Options {
	o := fsrules.Options{
		AttrTimeout:           seconds(cfg.Libfuse.AttributeExpirationSec),
		EntryTimeout:          seconds(cfg.Libfuse.EntryExpirationSec),
		NegativeTimeout:       seconds(cfg.Libfuse.NegativeEntryExpirationSec),
		AllowOther:            cfg.AllowOther,
		ReadOnly:              cfg.ReadOnly,
		FSName:                source,
		DisableWritebackCache: cfg.Libfuse.DisableWritebackCache,
		DirectIO:              directIO(cfg),
		Passthrough:           cfg.FileCache.Passthrough && cfg.DataPath() == config.CompFileCache,
		StrictOpenFlags:       !cfg.Libfuse.IgnoreOpenFlags,
		// With fixed attributes nothing is kept, so user attributes could
		// only fail; ENOSYS makes the kernel stop asking at all.
		DisableXattrs: cfg.Libfuse.DisableXattrs || cfg.Libfuse.FixedAttributes,
		NetworkShare:  cfg.Libfuse.NetworkShare,
		WindowsSDDL:   cfg.Libfuse.WindowsSDDL,
		Options:       extra,
		Debug:         cfg.Libfuse.FuseTrace,
		Logger:        log,
	}
	if dp := cfg.DataPath(); dp == config.CompBlockCache || dp == config.CompStream {
		// Streaming uploads need writes in order; the writeback cache
		// hands them over from several threads at once.
		o.DisableWritebackCache = true
	}
	if o.DirectIO {
		// As Cloudfuse: with direct-io the kernel caches nothing.
		o.AttrTimeout, o.EntryTimeout, o.NegativeTimeout = 0, 0, 0
	}
	return o
}

// mountSource is the source column of the mount table:
// "cloudfuse:bucket" or "cloudfuse:account/container", with the
// subdirectory appended when one is mounted.
func mountSource(cfg *config.Config) string {
	src := "cloudfuse:"
	switch cfg.Storage() {
	case config.CompS3:
		src += cfg.S3.BucketName
	case config.CompAzure:
		if cfg.Azure.AccountName != "" {
			src += cfg.Azure.AccountName + "/"
		}
		src += cfg.Azure.Container
	case config.CompLoopback:
		src += cfg.Loopback.Path
	}
	if sub := config.CleanSubdirectory(cfg.Subdirectory()); sub != "" {
		src += "/" + sub
	}
	return src
}
