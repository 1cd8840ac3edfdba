package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"github.com/a9de3765/cloudfuse/internal/config"
)

// Config keys that depend on the store in the components list.
const (
	keyStoreContainer    = "<store>.container"
	keyStoreSubdirectory = "<store>.subdirectory"
)

// configFlag is a mount flag that sets one config key. Flags win over the
// file and the environment.
type configFlag struct {
	name, key, usage string
	typ              string // "" for a boolean flag, else the value's name in --help
	def              string // default shown in --help
}

func configFlags() []configFlag {
	return []configFlag{
		{name: "foreground", key: "foreground", usage: "stay in the foreground instead of running as a daemon"},
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
		{name: "block-cache-path", key: "block_cache.path", typ: "dir", usage: "block_cache staging directory"},
		{name: "block-cache-block-size", key: "block_cache.block-size-mb", typ: "MiB", usage: "block_cache request and upload part size (default 16)"},
		{name: "block-cache-pool-size", key: "block_cache.mem-size-mb", typ: "MiB", usage: "memory budget of the block_cache for all open files (default 256)"},
		{name: "block-cache-prefetch", key: "block_cache.prefetch", typ: "blocks", usage: "blocks one open file may read ahead (default 4)"},
		{name: "block-cache-disk-size", key: "block_cache.disk-size-mb", typ: "MiB", usage: "accepted for compatibility; the block_cache keeps no disk copy of clean blocks"},
		{name: "block-cache-prefetch-on-open", key: "block_cache.prefetch-on-open", usage: "accepted for compatibility; reads start prefetching on the first read"},
		{name: "metrics-port", key: "health_monitor.metrics-port", typ: "port", usage: "serve Prometheus metrics on 127.0.0.1:port/metrics (default: off)"},
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
			continue
		}
		fs.Var(&textValue{typ: f.typ}, f.name, f.usage)
		if f.def != "" {
			fs.Lookup(f.name).DefValue = f.def
		}
	}
}

// applyConfigFlags copies the flags the user gave into cfg.
func applyConfigFlags(cfg *config.Config, fs *pflag.FlagSet) error {
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
// components list (s3storage when there is none yet).
func storeKey(cfg *config.Config, key string) string {
	azure := cfg.Storage() == config.CompAzure
	switch key {
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
