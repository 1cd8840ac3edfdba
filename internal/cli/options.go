package cli

import (
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/a9de3765/cloudfuse/internal/cache/block"
	"github.com/a9de3765/cloudfuse/internal/config"
	"github.com/a9de3765/cloudfuse/internal/fusefs"
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
	if cfg.FileCache.Path != "" {
		return cfg.FileCache.Path
	}
	return filepath.Join(workDir(cfg), "file_cache")
}

// vfsOptions maps the config to filesystem options.
func vfsOptions(cfg *config.Config, log *slog.Logger) vfs.Options {
	o := vfs.Options{
		Layout:            vfs.LayoutS3,
		CacheDir:          cacheDir(cfg),
		CacheMaxBytes:     int64(cfg.FileCache.MaxSizeMB * (1 << 20)),
		HighDiskThreshold: cfg.FileCache.HighThreshold,
		LowDiskThreshold:  cfg.FileCache.LowThreshold,
		MaxCachedEntries:  cfg.AttrCache.MaxFiles,
		ReadOnly:          cfg.ReadOnly,
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
	// After the store's settings: streamed uploads use its concurrency.
	if dp := cfg.DataPath(); dp == config.CompBlockCache || dp == config.CompStream {
		o.Stream = streamOptions(cfg, o.UploadConcurrency)
	}
	return o
}

// Defaults of the streaming data path.
const (
	defaultBlockMB    = 16
	defaultBudgetMB   = 256
	defaultPrefetch   = 4
	defaultStreamConc = 8
)

// streamOptions maps block_cache (or Cloudfuse's stream) to the streaming
// data path: one memory budget for every open file, parts of the block
// size. Validate has already checked the values.
func streamOptions(cfg *config.Config, conc int) *vfs.StreamOptions {
	// block-size-mb takes fractions (0.5 is 512 KiB blocks).
	part, prefetch := int64(cfg.BlockCache.BlockSizeMB*(1<<20)), cfg.BlockCache.Prefetch
	if cfg.DataPath() == config.CompStream {
		part = cfg.Stream.BlockSizeMB << 20
	}
	if part <= 0 {
		part = defaultBlockMB << 20
	}
	if prefetch <= 0 {
		prefetch = defaultPrefetch
	}
	if conc <= 0 {
		conc = defaultStreamConc
	}
	budget := bufferBudget(streamMemory(cfg), part)
	// A writer needs its parts in flight plus the one being filled; fewer
	// uploads at once when the budget is small.
	conc = int(min(int64(conc), max(budget/part-1, 1)))
	return &vfs.StreamOptions{
		Budget:            block.NewBudget(budget),
		PartSize:          part,
		MaxWindow:         min(int64(prefetch)*part, budget/2),
		UploadConcurrency: conc,
	}
}

// streamMemory is the memory budget of the streaming data path in bytes:
// block_cache.mem-size-mb, or Cloudfuse's stream max-buffers x
// buffer-size-mb.
func streamMemory(cfg *config.Config) int64 {
	budgetMB := cfg.BlockCache.MemSizeMB
	if cfg.DataPath() == config.CompStream {
		budgetMB = cfg.Stream.BufferSizeMB * int64(cfg.Stream.MaxBuffers)
	}
	if budgetMB <= 0 {
		budgetMB = defaultBudgetMB
	}
	return budgetMB << 20
}

// bufferBudget is what the buffers of open files may hold out of a memory
// budget of total bytes: the rest is left to the runtime (the collector's
// headroom, request buffers, the caches of names), so that the daemon as a
// whole stays within total. It is at least two parts.
func bufferBudget(total, part int64) int64 {
	reserve := min(total/4, 64<<20)
	return max(total-reserve, 2*part)
}

// memoryLimit is the Go runtime's memory limit for a daemon whose memory
// budget is total bytes and whose buffers may hold buffers bytes: under
// the budget by room for the program's code and stacks, which are
// resident outside the Go heap, and never below the buffers. Without a
// limit the collector lets the heap grow to twice what is live.
func memoryLimit(total, buffers int64) int64 {
	return max(total-min(total/8, 24<<20), buffers+16<<20)
}

// fuseOptions maps the config to kernel mount options.
func fuseOptions(cfg *config.Config, source string, extra []string, log *slog.Logger) fusefs.Options {
	o := fusefs.Options{
		AttrTimeout:           seconds(cfg.Libfuse.AttributeExpirationSec),
		EntryTimeout:          seconds(cfg.Libfuse.EntryExpirationSec),
		NegativeTimeout:       seconds(cfg.Libfuse.NegativeEntryExpirationSec),
		AllowOther:            cfg.AllowOther,
		ReadOnly:              cfg.ReadOnly,
		FSName:                source,
		DisableWritebackCache: cfg.Libfuse.DisableWritebackCache,
		DirectIO:              directIO(cfg),
		StrictOpenFlags:       !cfg.Libfuse.IgnoreOpenFlags,
		// With fixed attributes nothing is kept, so user attributes could
		// only fail; ENOSYS makes the kernel stop asking at all.
		DisableXattrs: cfg.Libfuse.DisableXattrs || cfg.Libfuse.FixedAttributes,
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
