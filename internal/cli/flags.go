package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"github.com/a9de3765/cloudfuse/internal/config"
)

// Config keys that depend on the store or the data path in the
// components list.
const (
	keyStoreContainer    = "<store>.container"
	keyStoreSubdirectory = "<store>.subdirectory"
	keyStoreListBlock    = "<store>.block-list-on-mount-sec"
	keyStoreVirtualDir   = "<store>.virtual-directory"
	keyCacheCleanup      = "<cache>.cleanup-on-start"
	keyStoreConcurrency  = "<store>.concurrency"
	keyStoreMaxRetries   = "<store>.max-retries"
	keyStoreHTTPProxy    = "<store>.http-proxy"
	keyStoreHTTPSProxy   = "<store>.https-proxy"
	keyStoreCACert       = "<store>.ca-cert-file"
	keyStoreContentType  = "<store>.set-content-type"
	keyStoreFilter       = "<store>.filter"
)

// configFlag is a mount flag that sets one config key. Flags win over the
// file and the environment.
type configFlag struct {
	name, key, usage string
	typ              string // "" for a boolean flag, else the value's name in --help
	def              string // default shown in --help
	hidden           bool   // an old spelling kept for scripts, not shown in --help
}

func configFlags() []configFlag {
	return []configFlag{
		{name: "foreground", key: "foreground", usage: "stay in the foreground instead of running as a daemon"},
		{name: "watch-config", key: "watch-config", usage: "apply new store credentials when the config file changes (SIGHUP always does)"},
		{name: "read-only", key: "read-only", usage: "mount read-only"},
		{name: "allow-other", key: "allow-other", usage: "let other users use the mount (needs user_allow_other in /etc/fuse.conf)"},
		{name: "wait-for-mount", key: "wait-for-mount", typ: "duration", def: "10s", usage: "how long to wait for the background mount to come up"},
		{name: "log-level", key: "logging.level", typ: "level", usage: "LOG_OFF, LOG_CRIT, LOG_ERR, LOG_WARNING, LOG_INFO, LOG_TRACE or LOG_DEBUG (default LOG_WARNING)"},
		{name: "log-file-path", key: "logging.file-path", typ: "path", usage: "log file (default: stderr in the foreground, ~/.cloudfuse/cloudfuse.log in the background)"},
		{name: "log-type", key: "logging.type", typ: "type", usage: "base (a file), syslog or silent (default base)"},
		{name: "attr-cache-timeout", key: "attr_cache.timeout-sec", typ: "seconds", usage: "how long attributes and listings are cached (default 120)"},
		{name: "file-cache-timeout", key: "file_cache.timeout-sec", typ: "seconds", usage: "how long an unused file stays in the file cache (default 120)"},
		{name: "tmp-path", key: "file_cache.path", typ: "dir", usage: "file cache directory (default ~/.cloudfuse/file_cache)"},
		{name: "cache-size-mb", key: "file_cache.max-size-mb", typ: "MiB", usage: "file cache size limit (default: only the disk thresholds)"},
		{name: "high-disk-threshold", key: "file_cache.high-threshold", typ: "percent", usage: "cache disk use that starts eviction (default 80)"},
		{name: "low-disk-threshold", key: "file_cache.low-threshold", typ: "percent", usage: "cache disk use that stops eviction (default 60)"},
		{name: "attr-timeout", key: "libfuse.attribute-expiration-sec", typ: "seconds", usage: "how long the kernel caches attributes (default 120)"},
		{name: "entry-timeout", key: "libfuse.entry-expiration-sec", typ: "seconds", usage: "how long the kernel caches name lookups (default 120)"},
		{name: "negative-timeout", key: "libfuse.negative-entry-expiration-sec", typ: "seconds", usage: "how long the kernel caches missing names (default 120)"},
		{name: "subdirectory", key: keyStoreSubdirectory, typ: "prefix", usage: "mount only this subdirectory of the bucket or container"},
		{name: "container-name", key: keyStoreContainer, typ: "name", usage: "the bucket (s3storage) or container (azstorage) to mount"},
		{name: "disable-writeback-cache", key: "libfuse.disable-writeback-cache", usage: "turn off the kernel writeback cache"},
		{name: "ignore-open-flags", key: "libfuse.ignore-open-flags", usage: "ignore O_APPEND/O_WRONLY conflicts with the writeback cache (default true)"},
		{name: "no-symlinks", key: "attr_cache.no-symlinks", usage: "show symlinks as regular files"},
		{name: "fixed-attributes", key: "libfuse.fixed-attributes", usage: "show default modes and owners for everything and keep none (chmod/chown do nothing)"},
		{name: "disable-xattrs", key: "libfuse.disable-xattrs", usage: "no extended attributes (ENOTSUP); spares the kernel's attribute probe before each write"},
		{name: "block-cache-path", key: "block_cache.path", typ: "dir", usage: "block_cache staging directory"},
		{name: "block-cache-block-size", key: "block_cache.block-size-mb", typ: "MiB", usage: "block_cache request and upload part size (default 16)"},
		{name: "block-cache-pool-size", key: "block_cache.mem-size-mb", typ: "MiB", usage: "memory budget of the block_cache for all open files (default 256)"},
		{name: "block-cache-prefetch", key: "block_cache.prefetch", typ: "blocks", usage: "blocks one open file may read ahead (default 4)"},
		{name: "block-cache-disk-size", key: "block_cache.disk-size-mb", typ: "MiB", usage: "size of the block_cache's disk tier (default: 80% of the free space of block_cache.path)"},
		{name: "block-cache-prefetch-on-open", key: "block_cache.prefetch-on-open", usage: "accepted for compatibility; reads start prefetching on the first read"},
		{name: "metrics-port", key: "health_monitor.metrics-port", typ: "port", usage: "serve Prometheus metrics on 127.0.0.1:port/metrics (default: off)"},
		{name: "default-working-dir", key: "default-working-dir", typ: "dir", usage: "directory of the default log file, file cache and health output (default ~/.cloudfuse)"},
		{name: "cancel-list-on-mount-seconds", key: keyStoreListBlock, typ: "seconds", usage: "list nothing for this long after mounting, to save listing charges"},
		{name: "virtual-directory", key: keyStoreVirtualDir, usage: "infer directories from object names (default true; =false shows only directories with a marker)"},
		{name: "disable-compression", key: "azstorage.disable-compression", usage: "accepted; Azure downloads are never gzip-decoded, as this flag asks"},
		{name: "use-adls", key: "azstorage.use-adls", usage: "azstorage: the account has a hierarchical namespace (same as azstorage.type adls)"},
		{name: "sync-to-flush", key: "file_cache.sync-to-flush", usage: "fsync uploads the file (always true here)"},
		{name: "block-size-mb", key: "stream.block-size-mb", typ: "MiB", usage: "stream: request and upload part size (default 16)"},
		{name: "disable-kernel-cache", key: "disable-kernel-cache", usage: "bypass the kernel page cache and its attribute and entry caches (direct_io, zero timeouts)"},
		{name: "lazy-write", key: "lazy-write", usage: "file cache: close returns before the upload, which runs in the background (fsync and unmount wait for it)"},
		{name: "cleanup-on-start", key: keyCacheCleanup, usage: "empty the cache of clean files at mount (always done here)"},
		{name: "file-cache-timeout-in-seconds", key: "file_cache.timeout-sec", typ: "seconds", hidden: true, usage: "old name of --file-cache-timeout"},

		// BlobFuse2 and Cloudfuse spellings of keys, so their scripts,
		// fstab lines and mount options keep working.
		{name: "attr-cache-max-size-mb", key: "attr_cache.max-size-mb", typ: "MiB", usage: "BlobFuse2; the attribute cache is bounded by entries (attr_cache.max-files)"},
		{name: "cache-on-list", key: "attr_cache.cache-on-list", usage: "BlobFuse2; listings always fill the attribute cache"},
		{name: "background-download", key: "file_cache.background-download", usage: "BlobFuse2; files always download in the background while reads are served"},
		{name: "cache-poll-timeout-msec", key: "file_cache.cache-poll-timeout-msec", typ: "ms", usage: "BlobFuse2; no effect"},
		{name: "file-cache-policy", key: "file_cache.policy", typ: "policy", usage: "BlobFuse2; eviction is always lru"},
		{name: "hard-limit", key: "file_cache.hard-limit", usage: "BlobFuse2; no effect"},
		{name: "ignore-sync", key: "file_cache.ignore-sync", usage: "BlobFuse2; fsync always uploads"},
		{name: "max-eviction", key: "file_cache.max-eviction", typ: "files", usage: "most files one eviction pass removes (default 5000)"},
		{name: "upload-modified-only", key: "file_cache.upload-modified-only", usage: "BlobFuse2; only written files are ever uploaded"},
		{name: "block-cache-disk-timeout", key: "block_cache.disk-timeout-sec", typ: "seconds", usage: "remove blocks of the disk tier unused this long (default 120; 0 keeps them)"},
		{name: "block-cache-parallelism", key: "block_cache.parallelism", typ: "n", usage: "BlobFuse2; transfers use the store's concurrency"},
		{name: "block-cache-strong-consistency", key: "block_cache.consistency", usage: "BlobFuse2; the block_cache keeps no disk copy to check"},
		{name: "stream-cache-mb", key: "stream.stream-cache-mb", typ: "MiB", usage: "stream: memory budget of all open files"},
		{name: "max-blocks-per-file", key: "stream.max-blocks-per-file", typ: "blocks", usage: "stream: blocks one open file may read ahead"},
		{name: "kernel-list-cache-timeout", key: "libfuse.kernel-list-cache-expiration-sec", typ: "seconds", usage: "BlobFuse2; the daemon caches listings instead"},
		{name: "d", key: "libfuse.fuse-trace", hidden: true, usage: "BlobFuse2: log every FUSE request"},
		{name: "log-compress", key: "logging.compress", usage: "gzip the log files rotated out"},
		{name: "log-goroutine-id", key: "logging.goroutine-id", usage: "BlobFuse2; log lines carry no goroutine ids"},
		{name: "max-concurrency", key: keyStoreConcurrency, typ: "n", usage: "parts one file transfers at once (s3storage.concurrency, azstorage.max-concurrency)"},
		{name: "max-retry", key: keyStoreMaxRetries, typ: "n", usage: "retries of a failed store request (default 5)"},
		{name: "max-retry-interval-in-seconds", key: "azstorage.max-retry-timeout-sec", typ: "seconds", usage: "azstorage: the longest one request with its retries may take"},
		{name: "retry-delay-factor", key: "azstorage.retry-backoff-sec", typ: "seconds", usage: "azstorage: the first wait between retries, doubled each time"},
		{name: "http-proxy", key: keyStoreHTTPProxy, typ: "url", usage: "proxy for http:// endpoints (default $HTTP_PROXY)"},
		{name: "https-proxy", key: keyStoreHTTPSProxy, typ: "url", usage: "proxy for https:// endpoints (default $HTTPS_PROXY)"},
		{name: "ca-cert-file", key: keyStoreCACert, typ: "file", usage: "PEM file of CA certificates trusted for the endpoint, besides the system's"},
		{name: "set-content-type", key: keyStoreContentType, usage: "give new objects the content type of their extension (default true)"},
		{name: "sse", key: "s3storage.sse", typ: "type", usage: "s3storage: encrypt new objects with S3's keys: AES256 (SSE-S3) or aws:kms (SSE-KMS)"},
		{name: "sse-kms-key-id", key: "s3storage.sse-kms-key-id", typ: "id", usage: "s3storage: the KMS key of --sse=aws:kms (default: the bucket's)"},
		{name: "sse-customer-key", key: "s3storage.sse-customer-key", typ: "base64", usage: "s3storage: encrypt with this 32-byte key (SSE-C); better kept in the config file"},
		{name: "storage-class", key: "s3storage.storage-class", typ: "class", usage: "s3storage: storage class of new objects (default: the bucket's)"},
		{name: "requester-pays", key: "s3storage.requester-pays", usage: "s3storage: accept the charges of a requester-pays bucket"},
		{name: "expected-bucket-owner", key: "s3storage.expected-bucket-owner", typ: "account", usage: "s3storage: refuse a bucket that another account owns"},
		{name: "no-sign-request", key: "s3storage.no-sign-request", usage: "s3storage: send unsigned requests (public buckets)"},
		{name: "use-https", key: "azstorage.use-https", usage: "azstorage: =false talks http (same as azstorage.use-http)"},
		{name: "cpk-enabled", key: "azstorage.cpk-enabled", usage: "azstorage: encrypt with a customer-provided key (azstorage.cpk-encryption-key)"},
		{name: "debug-libcurl", key: "azstorage.debug-libcurl", usage: "BlobFuse2; cloudfuse uses no libcurl"},
		{name: "honour-acl", key: "azstorage.honour-acl", usage: "BlobFuse2; ADLS access control lists are not read"},
		{name: "preserve-acl", key: "azstorage.preserve-acl", usage: "BlobFuse2; ADLS access control lists are not written"},
		{name: "cap-mbps-read", key: "azstorage.cap-mbps-read", typ: "Mbps", usage: "BlobFuse2; cloudfuse does not limit bandwidth"},
		{name: "cap-iops", key: "azstorage.cap-iops", typ: "n", usage: "BlobFuse2; cloudfuse does not limit the request rate"},
		{name: "telemetry", key: "azstorage.telemetry", typ: "text", usage: "BlobFuse2; cloudfuse sends no telemetry"},
		{name: "filter", key: keyStoreFilter, typ: "filter", usage: "show only matching objects, read-only (BlobFuse2's blob filter: name=, format=, regex=, size, modtime, tag=; && and ||)"},
		{name: "preload", key: "preload", usage: "download every file of the mount into the file cache in the background (see cloudfuse preload)"},
	}
}

// componentFlag is a BlobFuse2 mount flag that edits the components list.
type componentFlag struct {
	name, comp, usage string
	dataPath          bool // replaces the data path; else adds or removes comp
}

func componentFlags() []componentFlag {
	return []componentFlag{
		{name: "block-cache", comp: config.CompBlockCache, dataPath: true, usage: "use block_cache as the data path instead of the one in components"},
		{name: "streaming", comp: config.CompStream, dataPath: true, usage: "use stream as the data path instead of the one in components"},
		{name: "use-attr-cache", comp: config.CompAttrCache, usage: "add attr_cache to components (=false removes it)"},
	}
}

// inertFlag is an anchor mount flag that sets no key: accepted so scripts,
// fstab lines and storage-class mount options keep working, and logged
// with the reason when given.
type inertFlag struct {
	typ string // "" for a boolean flag, else the value's name
	why string
}

func inertFlags() map[string]inertFlag {
	const whyPreloadTuning = "tunes BlobFuse2's preload; cloudfuse preloads as many files at once as the store's concurrency (cloudfuse preload --workers sets it)"
	return map[string]inertFlag{
		"pre-mount-validate":  {why: "the store is always checked with one request before mounting"},
		"basic-remount-check": {why: "the mount table is always read before mounting"},
		"empty-dir-check":     {why: "the cache directory may always hold other files; cloudfuse keeps its own under data/ and journal/ in it"},
		"invalidate-on-sync":  {why: "fsync always uploads the file and keeps the cached copy, which then matches the store"},
		"list-cache-timeout":  {typ: "seconds", why: "listings are kept with the attributes for attr_cache.timeout-sec (--attr-cache-timeout)"},
		"workers":             {typ: "n", why: whyPreloadTuning},
		"pool-size":           {typ: "n", why: whyPreloadTuning},
	}
}

// textValue is a flag value kept as text; config.Set parses it so flags
// and the file report bad values the same way.
type textValue struct {
	typ, val string
}

func (v *textValue) String() string     { return v.val }
func (v *textValue) Set(s string) error { v.val = s; return nil }
func (v *textValue) Type() string       { return v.typ }

// addConfigFlags registers the config flags on fs.
func addConfigFlags(fs *pflag.FlagSet) {
	for _, f := range configFlags() {
		if f.typ == "" {
			fs.Bool(f.name, false, f.usage)
		} else {
			fs.Var(&textValue{typ: f.typ}, f.name, f.usage)
		}
		if f.def != "" {
			fs.Lookup(f.name).DefValue = f.def
		}
		fs.Lookup(f.name).Hidden = f.hidden
	}
	for _, f := range componentFlags() {
		fs.Bool(f.name, false, f.usage)
	}
	for name, f := range inertFlags() {
		if f.typ == "" {
			fs.Bool(name, false, "accepted for compatibility; no effect")
		} else {
			fs.Var(&textValue{typ: f.typ}, name, "accepted for compatibility; no effect")
		}
		fs.Lookup(name).Hidden = true
	}
}

// applyComponentFlags edits the components list for --block-cache,
// --streaming and --use-attr-cache. It runs before the other flags so that
// keys which depend on the data path resolve against the final list.
func applyComponentFlags(cfg *config.Config, fs *pflag.FlagSet) error {
	for _, f := range componentFlags() {
		fl := fs.Lookup(f.name)
		if fl == nil || !fl.Changed {
			continue
		}
		on := fl.Value.String() == "true"
		switch {
		case f.dataPath && on:
			if err := cfg.SetDataPath(f.comp, "--"+f.name); err != nil {
				return err
			}
		case !f.dataPath:
			cfg.SetComponent(f.comp, on, "--"+f.name)
		}
	}
	return nil
}

// inertFlagWarnings names the inert flags the user gave.
func inertFlagWarnings(fs *pflag.FlagSet) []config.Warning {
	var out []config.Warning
	fs.Visit(func(fl *pflag.Flag) {
		if f, ok := inertFlags()[fl.Name]; ok {
			out = append(out, config.Warning{Origin: "--" + fl.Name, Msg: "accepted for compatibility, no effect here: " + f.why})
		}
	})
	return out
}

// applyConfigFlags copies the flags the user gave into cfg.
func applyConfigFlags(cfg *config.Config, fs *pflag.FlagSet) error {
	if err := applyComponentFlags(cfg, fs); err != nil {
		return err
	}
	for _, f := range configFlags() {
		fl := fs.Lookup(f.name)
		if fl == nil || !fl.Changed {
			continue
		}
		key := storeKey(cfg, f.key)
		if err := cfg.Set(key, fl.Value.String(), "--"+f.name); err != nil {
			return err
		}
	}
	return nil
}

// storeKey resolves the store-dependent keys for the store in cfg's
// components list (s3storage when there is none yet), and the cache keys
// for its data path (file_cache unless it is block_cache).
func storeKey(cfg *config.Config, key string) string {
	azure := cfg.Storage() == config.CompAzure
	switch key {
	case keyCacheCleanup:
		if cfg.DataPath() == config.CompBlockCache {
			return "block_cache.cleanup-on-start"
		}
		return "file_cache.cleanup-on-start"
	case keyStoreConcurrency:
		if azure {
			return "azstorage.max-concurrency"
		}
		return "s3storage.concurrency"
	case keyStoreListBlock, keyStoreVirtualDir, keyStoreMaxRetries, keyStoreHTTPProxy, keyStoreHTTPSProxy,
		keyStoreCACert, keyStoreContentType, keyStoreFilter:
		if azure {
			return "azstorage" + strings.TrimPrefix(key, "<store>")
		}
		return "s3storage" + strings.TrimPrefix(key, "<store>")
	case keyStoreContainer:
		if azure {
			return "azstorage.container"
		}
		return "s3storage.bucket-name"
	case keyStoreSubdirectory:
		if azure {
			return "azstorage.subdirectory"
		}
		return "s3storage.subdirectory"
	}
	return key
}

// fuseOptionKeys maps libfuse -o options to config keys. A value-less
// option means true.
func fuseOptionKeys() map[string]string {
	return map[string]string{
		"allow_other":      "allow-other",
		"allow_root":       "allow-root",
		"ro":               "read-only",
		"nonempty":         "nonempty",
		"direct_io":        "libfuse.direct-io",
		"attr_timeout":     "libfuse.attribute-expiration-sec",
		"entry_timeout":    "libfuse.entry-expiration-sec",
		"negative_timeout": "libfuse.negative-entry-expiration-sec",
		"uid":              "libfuse.uid",
		"gid":              "libfuse.gid",
		"umask":            "libfuse.umask",
	}
}

// kernelOptions pass through to the kernel mount unchanged.
func kernelOption(name string) bool {
	switch name {
	case "default_permissions", "nodev", "dev", "nosuid", "suid", "noexec", "exec", "sync", "dirsync":
		return true
	}
	return false
}

// ignoredOption says whether an -o option is fstab or mount(8) noise with
// no meaning for a FUSE mount, accepted and dropped as Cloudfuse does.
func ignoredOption(name string) bool {
	switch name {
	case "rw", "defaults", "auto", "noauto", "user", "nouser", "users", "_netdev", "nofail",
		"noatime", "nodiratime", "relatime", "strictatime", "lazytime", "atime", "delay_connect":
		return true
	}
	return strings.HasPrefix(name, "x-") || strings.HasPrefix(name, "comment=")
}

// applyFuseOptions applies -o options (each may be a comma list) to cfg
// and returns the ones passed through to the kernel.
func applyFuseOptions(cfg *config.Config, opts []string) ([]string, error) {
	keys := fuseOptionKeys()
	var pass []string
	for _, group := range opts {
		for _, o := range strings.Split(group, ",") {
			o = strings.TrimSpace(o)
			if o == "" {
				continue
			}
			name, val, hasVal := strings.Cut(o, "=")
			switch key, ok := keys[name]; {
			case ok:
				if !hasVal {
					val = "true"
				}
				if err := cfg.Set(key, val, "-o "+o); err != nil {
					return nil, usageError{err}
				}
			case kernelOption(name) && !hasVal:
				pass = append(pass, name)
			case ignoredOption(name):
			default:
				return nil, usageError{fmt.Errorf("-o %s: unknown FUSE option (known: allow_other, allow_root, ro, rw, "+
					"nonempty, direct_io, attr_timeout=S, entry_timeout=S, negative_timeout=S, uid=N, gid=N, umask=OOO, "+
					"default_permissions, nodev, nosuid, noexec, sync, dirsync)", o)}
			}
		}
	}
	return pass, nil
}
