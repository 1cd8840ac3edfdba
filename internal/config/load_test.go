package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeConfig writes body as config.yaml in a fresh directory, makes that
// the working directory, and returns the relative name so messages read
// "config.yaml:N".
func writeConfig(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	return "config.yaml"
}

func TestLoadReadsEverySection(t *testing.T) {
	name := writeConfig(t, `
foreground: true
read-only: yes
allow-other: true
nonempty: true
restricted-characters-windows: false
disable-version-check: true
wait-for-mount: 30s
logging:
  type: syslog
  level: log_debug
  file-path: /var/log/cf.log
  max-file-size-mb: 64
  file-count: 3
  track-time: true
components:
  - libfuse
  - file_cache
  - attr_cache
  - s3storage
libfuse:
  default-permission: 0640
  attribute-expiration-sec: 5
  entry-expiration-sec: 6
  negative-entry-expiration-sec: 7
  ignore-open-flags: false
  max-fuse-threads: 64
  direct-io: true
  uid: 1000
  gid: 0
  umask: 022
file_cache:
  path: /tmp/cache
  timeout-sec: 30
  max-size-mb: 1024.5
  high-threshold: 90
  low-threshold: 70
  sync-to-flush: false
  hard-limit: true
block_cache:
  block-size-mb: 8
  mem-size-mb: 512
  prefetch: 12
stream:
  block-size-mb: 4
  max-buffers: 10
  buffer-size-mb: 8
  file-caching: true
attr_cache:
  timeout-sec: 60
  no-symlinks: true
  max-files: 1000
s3storage:
  bucket-name: photos
  key-id: AKIA
  secret-key: s3cr3t
  region: eu-west-1
  endpoint: http://127.0.0.1:9000
  subdirectory: /a/b/
  part-size-mb: 16
  concurrency: 10
  enable-checksum: true
  checksum-algorithm: crc32c
  use-path-style: true
azstorage:
  type: adls
  mode: SPN
  tier: cool
mountall:
  container-allowlist: [a, b]
health_monitor:
  enable-monitoring: true
  monitor-disable-list:
    - cpu_profiler
`)
	cfg, warns, err := Load(name)
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != 0 {
		t.Fatalf("unexpected warnings: %v", warns)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	check := func(what string, got, want any) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}
	check("Foreground", cfg.Foreground, true)
	check("ReadOnly", cfg.ReadOnly, true)
	check("NonEmpty", cfg.NonEmpty, true)
	check("WaitForMount", cfg.WaitForMount, 30*time.Second)
	check("Logging.Type", cfg.Logging.Type, LogSyslog)
	check("Logging.Level", cfg.Logging.Level, LogDebug)
	check("Logging.FileCount", cfg.Logging.FileCount, 3)
	check("Storage", cfg.Storage(), CompS3)
	check("DataPath", cfg.DataPath(), CompFileCache)
	check("DefaultPermission", cfg.Libfuse.DefaultPermission, Perm(0o640))
	check("Umask", cfg.Libfuse.Umask, Perm(0o22))
	check("AttributeExpirationSec", cfg.Libfuse.AttributeExpirationSec, 5)
	check("NegativeEntryExpirationSec", cfg.Libfuse.NegativeEntryExpirationSec, 7)
	check("IgnoreOpenFlags", cfg.Libfuse.IgnoreOpenFlags, false)
	check("UID", *cfg.Libfuse.UID, uint32(1000))
	check("GID", *cfg.Libfuse.GID, uint32(0))
	check("FileCache.MaxSizeMB", cfg.FileCache.MaxSizeMB, 1024.5)
	check("FileCache.HighThreshold", cfg.FileCache.HighThreshold, 90)
	check("FileCache.SyncToFlush", cfg.FileCache.SyncToFlush, false)
	check("FileCache.MaxEviction (default)", cfg.FileCache.MaxEviction, 5000)
	check("BlockCache.BlockSizeMB", cfg.BlockCache.BlockSizeMB, 8.0)
	check("Stream.MaxBuffers", cfg.Stream.MaxBuffers, 10)
	check("AttrCache.TimeoutSec", cfg.AttrCache.TimeoutSec, 60)
	check("SymlinksEnabled", cfg.SymlinksEnabled(), false)
	check("S3.BucketName", cfg.S3.BucketName, "photos")
	check("S3.ChecksumAlgorithm", cfg.S3.ChecksumAlgorithm, ChecksumCRC32C)
	check("S3.UsePathStyle", cfg.S3.UsePathStyle, true)
	check("S3.UploadCutoffMB (default)", cfg.S3.UploadCutoffMB, int64(100))
	check("Subdirectory", CleanSubdirectory(cfg.Subdirectory()), "a/b")
	check("Azure.Type", cfg.Azure.Type, AccountADLS)
	check("Azure.Mode", cfg.Azure.Mode, AuthSPN)
	check("Azure.Tier", cfg.Azure.Tier, TierCool)
	check("Azure.VirtualDirectory (default)", cfg.Azure.VirtualDirectory, true)
	check("MountAll.ContainerAllowlist", strings.Join(cfg.MountAll.ContainerAllowlist, ","), "a,b")
	check("HealthMonitor.MonitorDisableList", strings.Join(cfg.HealthMonitor.MonitorDisableList, ","), "cpu_profiler")
	check("Origin(file_cache.timeout-sec)", cfg.Origin("file_cache.timeout-sec"), "config.yaml:34")
	check("IsSet(file_cache.max-eviction)", cfg.IsSet("file_cache.max-eviction"), false)
}

func TestLoadDefaults(t *testing.T) {
	cfg, _, err := Load(writeConfig(t, "components: [libfuse, file_cache, attr_cache, s3storage]\ns3storage:\n  bucket-name: b\n"))
	if err != nil {
		t.Fatal(err)
	}
	d := cfg
	if d.Logging.Level != LogWarning || d.Logging.Type != LogBase || d.WaitForMount != 10*time.Second ||
		d.Libfuse.AttributeExpirationSec != 120 || !d.Libfuse.IgnoreOpenFlags || d.FileCache.TimeoutSec != 120 ||
		d.FileCache.HighThreshold != 80 || d.FileCache.LowThreshold != 60 || !d.FileCache.SyncToFlush ||
		d.AttrCache.TimeoutSec != 120 || d.S3.PartSizeMB != 8 || d.S3.Concurrency != 5 ||
		d.Libfuse.UID != nil || !d.SymlinksEnabled() {
		t.Errorf("defaults not applied: %+v", d)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestLoadErrorsNameKeyFileAndLine(t *testing.T) {
	for _, tc := range []struct {
		name, body, want string
	}{
		{"int", "file_cache:\n  path: /x\n  timeout-sec: abc\n",
			`config.yaml:3: file_cache.timeout-sec: expected an integer, got "abc"`},
		{"negative", "attr_cache:\n  timeout-sec: -5\n",
			`config.yaml:2: attr_cache.timeout-sec: must not be negative, got -5`},
		{"bool", "read-only: maybe\n",
			`config.yaml:1: read-only: expected true or false, got "maybe"`},
		{"float", "file_cache:\n  max-size-mb: lots\n",
			`config.yaml:2: file_cache.max-size-mb: expected a number, got "lots"`},
		{"above max", "file_cache:\n  high-threshold: 150\n",
			`config.yaml:2: file_cache.high-threshold: must be at most 100, got 150`},
		{"log level", "logging:\n  level: LOG_LOUD\n",
			`config.yaml:2: logging.level: expected one of LOG_OFF, LOG_CRIT, LOG_ERR, LOG_WARNING, LOG_INFO, LOG_TRACE, LOG_DEBUG, got "LOG_LOUD"`},
		{"log type", "logging:\n  type: journal\n",
			`config.yaml:2: logging.type: expected one of base, file, syslog, silent, got "journal"`},
		{"az mode", "azstorage:\n  account-name: a\n  mode: password\n",
			`config.yaml:3: azstorage.mode: expected one of key, sas, spn, msi, azcli, workloadidentity, got "password"`},
		{"checksum", "s3storage:\n  checksum-algorithm: md5\n",
			`config.yaml:2: s3storage.checksum-algorithm: expected one of CRC32, CRC32C, SHA1, SHA256, got "md5"`},
		{"perm", "libfuse:\n  default-permission: 0999\n",
			`config.yaml:2: libfuse.default-permission: expected an octal permission such as 0644, got "0999"`},
		{"uid", "libfuse:\n  uid: -1\n",
			`config.yaml:2: libfuse.uid: must not be negative, got -1`},
		{"duration", "wait-for-mount: soon\n",
			`config.yaml:1: wait-for-mount: expected a duration such as 10s or 2m, got "soon"`},
		{"zero duration", "wait-for-mount: 0s\n",
			`config.yaml:1: wait-for-mount: must be longer than zero, got 0s`},
		{"list wanted", "components: libfuse\n",
			`config.yaml:1: components: expected a list, got "libfuse"`},
		{"list item", "components:\n  - libfuse\n  - {a: b}\n",
			`config.yaml:3: components: expected a list of names, item 2 is a section of key: value pairs`},
		{"section wanted", "file_cache: big\n",
			`config.yaml:1: file_cache: expected a section of key: value pairs, got "big"`},
		{"scalar wanted", "s3storage:\n  bucket-name: [a, b]\n",
			`config.yaml:2: s3storage.bucket-name: expected a single value, got a list`},
		{"duplicate", "read-only: true\nforeground: true\nREAD-ONLY: false\n",
			`config.yaml:3: READ-ONLY: duplicate key (first given at line 1)`},
		{"syntax", "foreground: true\nread-only: yes: no\n",
			`config.yaml:2: invalid YAML: mapping values are not allowed in this context`},
		{"tab", "file_cache:\n\tpath: /x\n",
			`config.yaml:2: invalid YAML: found character that cannot start any token (indent with spaces, not tabs)`},
		{"top level list", "- a\n- b\n",
			`config.yaml:1: expected key: value pairs at the top level, got a list`},
		{"empty", "# nothing here\n",
			`config.yaml: the config file is empty; a minimal one has two lines: "components: [libfuse, file_cache, attr_cache, s3storage]"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Load(writeConfig(t, tc.body))
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error\n got: %s\nwant: %s", err, tc.want)
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Errorf("error is %T, want *config.Error", err)
			}
		})
	}
}

func TestLoadFirstErrorInFileOrder(t *testing.T) {
	_, _, err := Load(writeConfig(t, "read-only: x\nforeground: y\n"))
	if err == nil || !strings.HasPrefix(err.Error(), "config.yaml:1: read-only:") {
		t.Fatalf("got %v, want the error of line 1", err)
	}
}

func TestLoadWarnsAboutUnknownKeys(t *testing.T) {
	cfg, warns, err := Load(writeConfig(t, `components: [libfuse, file_cache, attr_cache, s3storage]
file_cache:
  path: /tmp/c
  timout-sec: 30
s3storage:
  bucket-name: b
  frobnicate: 1
colour: blue
file_cache2:
  x: 1
`))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`config.yaml:4: file_cache.timout-sec: unknown key, ignored (did you mean "timeout-sec"?)`,
		`config.yaml:7: s3storage.frobnicate: unknown key, ignored`,
		`config.yaml:8: colour: unknown key, ignored`,
		`config.yaml:9: file_cache2: unknown key, ignored (did you mean "file_cache"?)`,
	}
	if len(warns) != len(want) {
		t.Fatalf("got %d warnings %v, want %d", len(warns), warns, len(want))
	}
	for i, w := range warns {
		if w.String() != want[i] {
			t.Errorf("warning %d\n got: %s\nwant: %s", i, w, want[i])
		}
	}
	if cfg.FileCache.TimeoutSec != 120 {
		t.Errorf("misspelt key changed timeout-sec to %d", cfg.FileCache.TimeoutSec)
	}
}

func TestLoadAcceptsAliasesAndAnyCase(t *testing.T) {
	cfg, warns, err := Load(writeConfig(t, `Components: [libfuse, file_cache, s3storage]
lfuse:
  attribute-expiration-sec: 9
S3Storage:
  Bucket-Name: b
  usePathStyle: true
attr_cache:
  enable-symlinks: false
shared: &dirs
  path: /tmp/x
file_cache: *dirs
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != 1 || warns[0].Key != "shared" {
		t.Errorf("warnings = %v, want one about shared", warns)
	}
	if cfg.Libfuse.AttributeExpirationSec != 9 || cfg.S3.BucketName != "b" || !cfg.S3.UsePathStyle ||
		cfg.SymlinksEnabled() || cfg.FileCache.Path != "/tmp/x" {
		t.Errorf("aliases not applied: %+v", cfg)
	}
}

func TestLoadNullKeepsDefault(t *testing.T) {
	cfg, _, err := Load(writeConfig(t, "components: [libfuse, s3storage]\ns3storage:\n  bucket-name: b\n  region:\nattr_cache:\n  timeout-sec:\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.AttrCache.TimeoutSec != 120 || cfg.S3.Region != "" {
		t.Errorf("null values changed defaults: %+v", cfg)
	}
}

func TestLoadZeroMeansDefaultWhereCloudfuseSaysSo(t *testing.T) {
	cfg, _, err := Load(writeConfig(t, "file_cache:\n  high-threshold: 0\n  max-eviction: 0\n  timeout-sec: 0\ns3storage:\n  part-size-mb: 0\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.FileCache.HighThreshold != 80 || cfg.FileCache.MaxEviction != 5000 || cfg.S3.PartSizeMB != 8 {
		t.Errorf("0 did not keep the default: %+v", cfg.FileCache)
	}
	if cfg.FileCache.TimeoutSec != 0 {
		t.Errorf("timeout-sec 0 must mean 0, got %d", cfg.FileCache.TimeoutSec)
	}
}

func TestLoadInfersComponents(t *testing.T) {
	cfg, warns, err := Load(writeConfig(t, "s3storage:\n  bucket-name: b\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cfg.Components, ","); got != "libfuse,file_cache,attr_cache,s3storage" {
		t.Errorf("components = %s", got)
	}
	if len(warns) != 1 || warns[0].String() != "config.yaml: components: missing, using [libfuse, file_cache, attr_cache, s3storage]" {
		t.Errorf("warnings = %v", warns)
	}
}

func TestLoadDropsEntryCache(t *testing.T) {
	cfg, warns, err := Load(writeConfig(t, "components:\n  - libfuse\n  - entry_cache\n  - s3storage\ns3storage: {bucket-name: b}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cfg.Components, ","); got != "libfuse,s3storage" {
		t.Errorf("components = %s", got)
	}
	if len(warns) != 1 || !strings.HasPrefix(warns[0].String(), "config.yaml:3: components: component entry_cache") {
		t.Errorf("warnings = %v", warns)
	}
	if o := cfg.Origin("components"); o != "config.yaml:1" {
		t.Errorf("origin = %q", o)
	}
}

func TestLoadWarnsAboutUnsupportedKeys(t *testing.T) {
	cfg, warns, err := Load(writeConfig(t, "file_cache:\n  schedule:\n    - name: nightly\nxload:\n  path: /x\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != 2 || !strings.HasPrefix(warns[0].String(), "config.yaml:2: file_cache.schedule: not supported by cloudfuse, ignored: ") ||
		!strings.HasPrefix(warns[1].String(), "config.yaml:4: xload: not supported by cloudfuse, ignored: ") {
		t.Errorf("warnings = %v", warns)
	}
	if !cfg.FileCache.Schedule.Present() {
		t.Error("schedule not marked present")
	}
}

func TestLoadMissingFileSaysWhatToWrite(t *testing.T) {
	t.Chdir(t.TempDir())
	_, _, err := Load("config.yaml")
	var nf *NoFileError
	if !errors.As(err, &nf) {
		t.Fatalf("got %v, want *NoFileError", err)
	}
	msg := err.Error()
	for _, want := range []string{"config.yaml not found", "components: [libfuse, file_cache, attr_cache, s3storage]", "bucket-name"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("message is not one line: %q", msg)
	}
}

func TestLoadUnreadableFile(t *testing.T) {
	dir := t.TempDir()
	_, _, err := Load(dir)
	if err == nil || !strings.Contains(err.Error(), "cannot read config file") {
		t.Fatalf("got %v", err)
	}
}

func TestLoadExpandsPaths(t *testing.T) {
	t.Setenv("CF_TEST_DIR", "/srv")
	cfg, _, err := Load(writeConfig(t, "file_cache:\n  path: $CF_TEST_DIR/cache\nlogging:\n  file-path: ~/cf.log\n"))
	if err != nil {
		t.Fatal(err)
	}
	home, _ := os.UserHomeDir()
	if cfg.FileCache.Path != "/srv/cache" || cfg.Logging.FilePath != filepath.Join(home, "cf.log") {
		t.Errorf("paths not expanded: %q %q", cfg.FileCache.Path, cfg.Logging.FilePath)
	}
}
