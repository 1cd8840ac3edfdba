package cli

import (
	"log/slog"

	"github.com/a9de3765/cloudfuse/internal/config"
)

// inertKeys are Cloudfuse/BlobFuse2 keys we read and check but that change
// nothing yet. A mount that sets one says so in the log, so a config
// written for another tool does not silently behave differently.
func inertKeys() []string {
	return []string{
		"allow-root", "lazy-write", "restricted-characters-windows",
		"logging.track-time",
		"libfuse.extension", "libfuse.ignore-open-flags", "libfuse.max-fuse-threads", "libfuse.network-share",
		"libfuse.display-capacity-mb", "libfuse.windows-sddl",
		"file_cache.policy", "file_cache.max-eviction", "file_cache.create-empty-file",
		"file_cache.allow-non-empty-temp", "file_cache.cleanup-on-start", "file_cache.policy-trace",
		"file_cache.offload-io", "file_cache.sync-to-flush", "file_cache.ignore-sync", "file_cache.refresh-sec",
		"file_cache.hard-limit",
		"block_cache.disk-size-mb", "block_cache.disk-timeout-sec", "block_cache.parallelism",
		"block_cache.prefetch-on-open", "block_cache.consistency", "block_cache.cleanup-on-start",
		"block_cache.defer-empty-blob-creation",
		"stream.file-caching",
		"attr_cache.no-cache-on-list", "attr_cache.no-cache-dirs", "attr_cache.max-size-mb", "attr_cache.cache-on-list",
		"s3storage.upload-cutoff-mb", "s3storage.disable-concurrent-download", "s3storage.checksum-algorithm",
		"s3storage.disable-usage", "s3storage.enable-dir-marker",
		"azstorage.oauth-token-path", "azstorage.workload-identity-token", "azstorage.tier",
		"azstorage.block-list-on-mount-sec", "azstorage.sdk-trace", "azstorage.fail-unsupported-op",
		"azstorage.auth-resource", "azstorage.update-md5", "azstorage.validate-md5", "azstorage.virtual-directory",
		"azstorage.disable-compression", "azstorage.max-results-for-list", "azstorage.telemetry",
		"azstorage.honour-acl", "azstorage.cpk-enabled", "azstorage.cpk-encryption-key",
		"azstorage.cpk-encryption-key-sha256", "azstorage.preserve-acl", "azstorage.filter",
		"azstorage.user-assertion",
	}
}

// sameAsOurs lists inert keys whose value asks for what cloudfuse does
// anyway, so setting them deserves no warning.
func sameAsOurs(cfg *config.Config) map[string]bool {
	return map[string]bool{
		"file_cache.sync-to-flush":      cfg.FileCache.SyncToFlush && !cfg.FileCache.IgnoreSync, // fsync uploads
		"file_cache.ignore-sync":        !cfg.FileCache.IgnoreSync,
		"file_cache.policy":             cfg.FileCache.Policy == "lru",
		"libfuse.ignore-open-flags":     cfg.Libfuse.IgnoreOpenFlags, // O_APPEND/O_WRONLY never refuse
		"azstorage.virtual-directory":   cfg.Azure.VirtualDirectory,  // directories are inferred from names
		"s3storage.enable-dir-marker":   cfg.S3.EnableDirMarker,      // mkdir writes "dir/" markers
		"attr_cache.cache-on-list":      cfg.AttrCache.CacheOnList,   // listings fill attributes
		"azstorage.tier":                cfg.Azure.Tier == config.TierNone,
		"restricted-characters-windows": !cfg.RestrictedCharactersWindows,
		"allow-root":                    !cfg.AllowRoot,
		"lazy-write":                    !cfg.LazyWrite,
	}
}

// logCompatibility logs the settings that do not act as they would in
// Cloudfuse.
func logCompatibility(cfg *config.Config, log *slog.Logger) {
	switch cfg.DataPath() {
	case "":
		log.Warn("no file_cache, block_cache or stream in components; staging files in the file cache", "dir", cacheDir(cfg))
	}
	same := sameAsOurs(cfg)
	for _, key := range inertKeys() {
		if cfg.IsSet(key) && !same[key] {
			log.Warn("setting has no effect yet", "key", key, "from", cfg.Origin(key))
		}
	}
	if cfg.Libfuse.FuseTrace && slogLevel(cfg.Logging.Level) > slog.LevelDebug {
		log.Warn("libfuse.fuse-trace logs at LOG_TRACE; raise logging.level to see it")
	}
}
