package cli

import (
	"log/slog"
	"maps"

	"github.com/a9de3765/cloudfuse/internal/config"
)

// Why a setting does nothing, for the reasons shared by several keys.
const (
	whyWindows     = "applies to Windows mounts only"
	whyFsyncUpload = "fsync and flush always upload a changed file, so a successful close or fsync means it is stored"
	whyNoListOpt   = "listings always fill the attribute cache, so `ls -l` costs one LIST and no HEAD per entry"
	whyNoMD5       = "cloudfuse neither writes nor checks Content-MD5; S3 uploads carry CRC32C checksums the store verifies"
	whyNoACL       = "ADLS access control lists are not read or written; modes and owners are kept as metadata"
	whyNotYet      = "not implemented yet"
)

// inertKeys are Cloudfuse/BlobFuse2 keys we read and check but that change
// nothing here, each with the reason. A mount that sets one logs the key,
// where it was set and the reason, so a config written for another tool
// does not silently behave differently. docs/config.md marks each of them
// "no effect" (TestDocTableMatchesCode checks it).
func inertKeys() map[string]string {
	m := inertEverywhere()
	maps.Copy(m, inertHere())
	return m
}

// inertEverywhere are the keys that change nothing on any platform.
func inertEverywhere() map[string]string {
	return map[string]string{
		"allow-root": "the FUSE library offers only allow_other; set allow-other to let root (and everyone) in",

		"logging.track-time":   "the time of single operations is not logged",
		"logging.goroutine-id": "log lines carry no goroutine ids",

		"libfuse.extension":                        "cloudfuse loads no extension libraries",
		"libfuse.max-fuse-threads":                 "every FUSE request is served on its own goroutine; there is no thread pool to size",
		"libfuse.display-capacity-mb":              "df always shows 1 PiB with all of it free",
		"libfuse.kernel-list-cache-expiration-sec": "the kernel is not asked to keep listings; the daemon caches them for attr_cache.timeout-sec",

		"file_cache.policy":                  "eviction is always least-recently-used (lru)",
		"file_cache.create-empty-file":       "a new file is created in the store when it is first closed or synced, not at create",
		"file_cache.policy-trace":            "eviction decisions are not traced in the log",
		"file_cache.offload-io":              "the daemon always serves reads and writes of cached files itself",
		"file_cache.sync-to-flush":           whyFsyncUpload,
		"file_cache.ignore-sync":             whyFsyncUpload,
		"file_cache.refresh-sec":             "a cached copy is used only while its ETag matches the object's current attributes; there is no timed refresh",
		"file_cache.hard-limit":              "writes are never refused for cache size; the limits only evict closed files",
		"file_cache.background-download":     "an opened file always downloads in the background; a read waits only for its own bytes",
		"file_cache.cache-poll-timeout-msec": "the cache is never polled; a download wakes the reads waiting for it",
		"file_cache.upload-modified-only":    "only files written to are ever uploaded",
		"file_cache.empty-dir-check":         "the cache directory may always hold other files; cloudfuse keeps its own under data/ and journal/ in it",
		"file_cache.block-offline-access":    "operations that need the store fail (EIO) while it cannot be reached; open cached files stay readable",

		"block_cache.parallelism":               "transfers use s3storage.concurrency or azstorage.max-concurrency parts at once",
		"block_cache.prefetch-on-open":          "read-ahead starts with the first sequential read, not at open",
		"block_cache.consistency":               "every block on disk is always checked against its CRC-32C before it is read",
		"block_cache.defer-empty-blob-creation": "a new file is created in the store when it is first closed; creating it at open is not offered",

		"stream.file-caching": "read-ahead and upload buffers come from one memory budget for the mount, not from per-file caches",

		"attr_cache.no-cache-on-list": whyNoListOpt,
		"attr_cache.no-cache-dirs":    "directories are cached like files for attr_cache.timeout-sec",
		"attr_cache.max-size-mb":      "the cache is bounded by entries (attr_cache.max-files), not by bytes",
		"attr_cache.cache-on-list":    whyNoListOpt,

		"s3storage.upload-cutoff-mb":            "a file is uploaded in one request up to one part (s3storage.part-size-mb) and in parts above it",
		"s3storage.disable-concurrent-download": "large files are always read with parallel ranged GETs",
		"s3storage.checksum-algorithm":          "uploads always carry CRC32C checksums",
		"s3storage.disable-usage":               "df never shows bucket usage",
		"s3storage.enable-dir-marker":           "mkdir always writes a \"dir/\" marker and markers are always read",
		"s3storage.health-check-interval-sec":   "the store is not polled; each request retries (s3storage.max-retries) and then fails with EIO",

		"azstorage.oauth-token-path":        "authentication from a token file is " + whyNotYet + "; use mode spn, msi, azcli or workloadidentity",
		"azstorage.workload-identity-token": "mode workloadidentity reads its token from the environment (AZURE_FEDERATED_TOKEN_FILE) as the Azure SDK does",
		"azstorage.tier":                    "uploads get the container's default access tier",
		"azstorage.sdk-trace":               "store requests are not traced in the log",
		"azstorage.fail-unsupported-op":     "chmod and chown are kept as metadata on block blobs, so they never fail as unsupported",
		"azstorage.auth-resource":           "OAuth tokens are always requested for Azure Storage",
		"azstorage.update-md5":              whyNoMD5,
		"azstorage.validate-md5":            whyNoMD5,
		"azstorage.disable-compression":     "downloads are never gzip-decoded here (as with true): a file reads as the stored bytes",
		"azstorage.max-results-for-list":    "a lookup sends HEAD key, HEAD key/ and a one-result LIST of key/ at once",
		"azstorage.telemetry":               "cloudfuse sends no telemetry and does not change its user agent",
		"azstorage.honour-acl":              whyNoACL,
		"azstorage.preserve-acl":            whyNoACL,
		"azstorage.debug-libcurl":           "cloudfuse uses no libcurl; requests go through the Azure SDK for Go",
		"azstorage.user-assertion":          "the on-behalf-of flow is " + whyNotYet,
		"azstorage.cap-mbps-read":           "cloudfuse does not limit bandwidth",
		"azstorage.cap-iops":                "cloudfuse does not limit the request rate",
	}
}

// sameAsOurs lists inert keys whose value asks for what cloudfuse does
// anyway, so setting them deserves no warning.
func sameAsOurs(cfg *config.Config) map[string]bool {
	return map[string]bool{
		"file_cache.sync-to-flush":                 cfg.FileCache.SyncToFlush && !cfg.FileCache.IgnoreSync, // fsync uploads
		"file_cache.ignore-sync":                   !cfg.FileCache.IgnoreSync,
		"file_cache.policy":                        cfg.FileCache.Policy == "lru",
		"file_cache.offload-io":                    cfg.FileCache.OffloadIO,
		"file_cache.create-empty-file":             !cfg.FileCache.CreateEmptyFile,
		"file_cache.hard-limit":                    !cfg.FileCache.HardLimit,
		"block_cache.defer-empty-blob-creation":    cfg.BlockCache.DeferEmptyBlobCreation,
		"block_cache.prefetch-on-open":             !cfg.BlockCache.PrefetchOnOpen,
		"libfuse.display-capacity-mb":              cfg.Libfuse.DisplayCapacityMB == 0 || cfg.Libfuse.DisplayCapacityMB == 1<<30,
		"azstorage.fail-unsupported-op":            !cfg.Azure.FailUnsupportedOp,
		"azstorage.telemetry":                      cfg.Azure.Telemetry == "",
		"azstorage.cap-mbps-read":                  cfg.Azure.CapMbpsRead <= 0,
		"azstorage.cap-iops":                       cfg.Azure.CapIOPS <= 0,
		"s3storage.enable-dir-marker":              cfg.S3.EnableDirMarker,    // mkdir writes "dir/" markers
		"s3storage.disable-usage":                  cfg.S3.DisableUsage,       // df shows no usage
		"attr_cache.cache-on-list":                 cfg.AttrCache.CacheOnList, // listings fill attributes
		"attr_cache.no-cache-on-list":              !cfg.AttrCache.NoCacheOnList,
		"attr_cache.no-cache-dirs":                 !cfg.AttrCache.NoCacheDirs,
		"azstorage.tier":                           cfg.Azure.Tier == config.TierNone,
		"allow-root":                               !cfg.AllowRoot,
		"logging.track-time":                       !cfg.Logging.TrackTime,
		"logging.goroutine-id":                     !cfg.Logging.GoroutineID,
		"libfuse.network-share":                    !cfg.Libfuse.NetworkShare,
		"azstorage.sdk-trace":                      !cfg.Azure.SDKTrace,
		"azstorage.update-md5":                     !cfg.Azure.UpdateMD5,
		"azstorage.validate-md5":                   !cfg.Azure.ValidateMD5,
		"azstorage.disable-compression":            cfg.Azure.DisableCompression,
		"azstorage.honour-acl":                     !cfg.Azure.HonourACL,
		"azstorage.preserve-acl":                   !cfg.Azure.PreserveACL,
		"file_cache.background-download":           cfg.FileCache.BackgroundDownload,
		"file_cache.upload-modified-only":          cfg.FileCache.UploadModifiedOnly,
		"file_cache.empty-dir-check":               !cfg.FileCache.EmptyDirCheck,
		"file_cache.block-offline-access":          !cfg.FileCache.BlockOfflineAccess,
		"azstorage.debug-libcurl":                  !cfg.Azure.DebugLibcurl,
		"s3storage.disable-concurrent-download":    !cfg.S3.DisableConcurrentDownload,
		"block_cache.consistency":                  true, // blocks on disk are always checked
		"file_cache.policy-trace":                  !cfg.FileCache.PolicyTrace,
		"libfuse.kernel-list-cache-expiration-sec": cfg.Libfuse.KernelListCacheExpirationSec == 0,
	}
}

// logCompatibility logs the settings that do not act as they would in
// Cloudfuse or BlobFuse2: each key, where it was set, and why.
func logCompatibility(cfg *config.Config, log *slog.Logger) {
	switch cfg.DataPath() {
	case "":
		log.Warn("no file_cache, block_cache or stream in components; staging files in the file cache", "dir", cacheDir(cfg))
	}
	for _, w := range noEffect(cfg) {
		log.Warn("setting has no effect here", "key", w.Key, "from", w.Origin, "why", w.Msg)
	}
	if cfg.LazyWrite && !lazyWrite(cfg) {
		log.Warn("setting has no effect here", "key", "lazy-write", "from", cfg.Origin("lazy-write"),
			"why", "the streaming data path uploads a file while it is written, and close waits for the end of that upload")
	}
	if cfg.Libfuse.FuseTrace && slogLevel(cfg.Logging.Level) > slog.LevelDebug {
		log.Warn("libfuse.fuse-trace logs at LOG_TRACE; raise logging.level to see it")
	}
}

// noEffect lists the keys set in cfg that change nothing here, each with
// where it was set and why.
func noEffect(cfg *config.Config) []config.Warning {
	same := sameAsOurs(cfg)
	inert := inertKeys()
	var out []config.Warning
	for _, k := range config.Keys() {
		why, ok := inert[k.Key]
		if ok && cfg.IsSet(k.Key) && !same[k.Key] {
			out = append(out, config.Warning{Origin: cfg.Origin(k.Key), Key: k.Key, Msg: why})
		}
	}
	return out
}
