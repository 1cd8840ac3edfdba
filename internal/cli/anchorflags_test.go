package cli

import (
	"strings"
	"testing"

	"github.com/a9de3765/cloudfuse/internal/config"
)

// The mount flags BlobFuse2 (2.5) registers: its mount command's own, its
// components' and its root command's.
var blobfuse2MountFlags = strings.Fields(`
allow-other attr-cache-max-size-mb attr-cache-timeout attr-timeout background-download
basic-remount-check block-cache block-cache-block-size block-cache-disk-size
block-cache-disk-timeout block-cache-parallelism block-cache-path block-cache-pool-size
block-cache-prefetch block-cache-prefetch-on-open block-cache-strong-consistency block-size-mb
ca-cert-file cache-on-list cache-poll-timeout-msec cache-size-mb cancel-list-on-mount-seconds
cap-iops cap-mbps-read cleanup-on-start config-file container-name cpk-enabled d debug-libcurl
default-working-dir disable-compression disable-kernel-cache disable-version-check
disable-writeback-cache empty-dir-check entry-timeout file-cache-policy file-cache-timeout
file-cache-timeout-in-seconds filter foreground hard-limit high-disk-threshold honour-acl
http-proxy https-proxy ignore-open-flags ignore-sync invalidate-on-sync kernel-list-cache-timeout
lazy-write list-cache-timeout log-compress log-file-path log-goroutine-id log-level log-type
low-disk-threshold max-blocks-per-file max-concurrency max-eviction max-retry
max-retry-interval-in-seconds negative-timeout no-symlinks o passphrase pool-size
pre-mount-validate preload preserve-acl read-only retry-delay-factor secure-config
set-content-type stream-cache-mb streaming subdirectory sync-to-flush telemetry tmp-path
upload-modified-only use-adls use-attr-cache use-https virtual-directory wait-for-mount workers
`)

// The mount flags Cloudfuse registers.
var cloudfuseMountFlags = strings.Fields(`
basic-remount-check block-size-mb cleanup-on-start config-file default-working-dir
disable-kernel-cache disable-version-check dry-run enable-remount-system enable-remount-user
foreground invalidate-on-sync lazy-write log-file-path log-goroutine-id log-level log-type
max-blocks-per-file o passphrase passphrase-pipe pre-mount-validate read-only
remount-system-user secure-config stream-cache-mb
`)

// Every mount flag of the anchors is a flag of ours, so their scripts,
// fstab lines and Kubernetes mount options never meet "unknown flag".
func TestEveryAnchorMountFlagIsAccepted(t *testing.T) {
	all := mountFlagSet(t)
	for tool, flags := range map[string][]string{"BlobFuse2": blobfuse2MountFlags, "Cloudfuse": cloudfuseMountFlags} {
		for _, f := range flags {
			if _, ok := all[f]; !ok {
				t.Errorf("%s's mount flag --%s is unknown here", tool, f)
			}
		}
	}
}

// Given as a user would (--flag=1), no anchor flag stops the command as
// unknown or unparsable; those with a value check it like the config file.
func TestAnchorFlagsParse(t *testing.T) {
	e := newEnv(t)
	e.write("c.yaml", s3Config)
	for _, f := range append(blobfuse2MountFlags, cloudfuseMountFlags...) {
		switch f {
		case "config-file", "o", "secure-config", "passphrase", "passphrase-pipe", "dry-run":
			continue // they take their own values; tested elsewhere
		}
		a := &app{getenv: func(k string) string { return e.vars[k] }}
		cmd := findCmd(a, "mount")
		err := cmd.ParseFlags([]string{"--config-file=c.yaml", "--" + f + "=1"})
		if err != nil {
			t.Errorf("--%s=1: %v", f, err)
		}
	}
}

// Preload needs the file cache and is refused on a streaming mount with
// the key named, not ignored; a blob filter is checked at load and makes
// the mount read-only.
func TestPreloadAndFilterChecked(t *testing.T) {
	e := newEnv(t)
	e.write("c.yaml", s3Config)
	for flag, want := range map[string]string{
		"--preload":               "",
		"--preload --block-cache": "preload: preload downloads files into the file cache",
		"--filter=colour=red":     `--filter: s3storage.filter: "colour=red": unknown field "colour"`,
		"--filter=name=*.csv":     "",
		"--list-cache-timeout=30": "",
	} {
		_, _, err := parseMount(t, e, append([]string{"--config-file=c.yaml"}, strings.Fields(flag)...)...)
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: %v", flag, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%s: error %v, want %q", flag, err, want)
		}
	}
	cfg, _, err := parseMount(t, e, "--config-file=c.yaml", "--filter=name=*.csv")
	if err != nil || !cfg.ReadOnly {
		t.Errorf("a filtered mount: %+v, %v", cfg, err)
	}
}

// BlobFuse2's stream keys size the streaming path: stream-cache-mb is the
// memory of all open files, max-blocks-per-file one file's read-ahead.
func TestBlobFuse2StreamKeys(t *testing.T) {
	e := newEnv(t)
	e.write("s.yaml", strings.Replace(s3Config, "file_cache", "stream", 1))
	cfg, _, err := parseMount(t, e, "--config-file=s.yaml", "--stream-cache-mb=96", "--max-blocks-per-file=2", "--block-size-mb=4")
	if err != nil {
		t.Fatal(err)
	}
	if got := streamMemory(cfg); got != 96<<20 {
		t.Errorf("memory %d, want 96 MiB", got)
	}
	v := vfsOptions(cfg, nil)
	if v.Stream == nil || v.Stream.MaxWindow != 8<<20 {
		t.Errorf("read-ahead %+v, want 2 blocks of 4 MiB", v.Stream)
	}
}

// Flags named for one store's key set the mounted store's.
func TestStoreFlagsFollowTheStore(t *testing.T) {
	e := newEnv(t)
	e.write("s3.yaml", s3Config)
	e.write("az.yaml", azConfig)
	for _, c := range []struct {
		file, flag string
		got        func(*config.Config) any
		want       any
	}{
		{"s3.yaml", "--max-concurrency=7", func(c *config.Config) any { return c.S3.Concurrency }, 7},
		{"az.yaml", "--max-concurrency=7", func(c *config.Config) any { return c.Azure.MaxConcurrency }, 7},
		{"s3.yaml", "--max-retry=2", func(c *config.Config) any { return c.S3.MaxRetries }, 2},
		{"az.yaml", "--max-retry=2", func(c *config.Config) any { return c.Azure.MaxRetries }, 2},
		{"s3.yaml", "--https-proxy=http://127.0.0.1:3128", func(c *config.Config) any { return c.S3.HTTPSProxy }, "http://127.0.0.1:3128"},
		{"az.yaml", "--http-proxy=http://127.0.0.1:3128", func(c *config.Config) any { return c.Azure.HTTPProxy }, "http://127.0.0.1:3128"},
		{"az.yaml", "--set-content-type=false", func(c *config.Config) any { return c.Azure.SetContentType }, false},
		{"s3.yaml", "--log-compress", func(c *config.Config) any { return c.Logging.Compress }, true},
		{"s3.yaml", "--max-eviction=9", func(c *config.Config) any { return c.FileCache.MaxEviction }, 9},
	} {
		cfg, _, err := parseMount(t, e, "--config-file="+c.file, c.flag)
		if err != nil {
			t.Fatalf("%s %s: %v", c.file, c.flag, err)
		}
		if got := c.got(cfg); got != c.want {
			t.Errorf("%s %s: got %v, want %v", c.file, c.flag, got, c.want)
		}
	}
}
