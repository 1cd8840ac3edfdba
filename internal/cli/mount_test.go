package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/a9de3765/cloudfuse/internal/config"
)

// s3Config is a valid config for a store on a closed local port.
const s3Config = `components: [libfuse, file_cache, attr_cache, s3storage]
file_cache:
  path: cache
s3storage:
  bucket-name: b
  endpoint: http://127.0.0.1:1
  key-id: id
  secret-key: secret
`

func TestMountWithoutConfigFile(t *testing.T) {
	e := newEnv(t)
	mnt := e.mkdir("mnt")
	e.run("mount", mnt).expect(t, 1,
		`cloudfuse: no --config-file given and config.yaml not found in the current directory; `+
			`a minimal config has two lines: "components: [libfuse, file_cache, attr_cache, s3storage]" and `+
			`"s3storage: {bucket-name: BUCKET, region: REGION}"`)
	e.run("mount", mnt, "--config-file=other.yaml").expectPrefix(t, 1,
		`cloudfuse: config file other.yaml not found; a minimal one has two lines: "components: [libfuse`)
}

func TestMountReadsConfigYamlByDefault(t *testing.T) {
	e := newEnv(t)
	e.write("config.yaml", "components: [libfuse, s3storage]\n")
	e.run("mount", e.mkdir("mnt")).expect(t, 1,
		"cloudfuse: config.yaml: s3storage.bucket-name: required: the name of the bucket to mount")
}

func TestMountConfigErrors(t *testing.T) {
	e := newEnv(t)
	mnt := e.mkdir("mnt")
	e.write("bad.yaml", "components: [libfuse, file_cache, s3storage]\nfile_cache:\n  path: /tmp/x\n  timeout-sec: abc\n")
	e.run("mount", mnt, "--config-file", "bad.yaml").expect(t, 1,
		`cloudfuse: bad.yaml:4: file_cache.timeout-sec: expected an integer, got "abc"`)

	e.write("both.yaml", "components:\n  - libfuse\n  - file_cache\n  - block_cache\n  - s3storage\ns3storage: {bucket-name: b}\n")
	e.run("mount", mnt, "--config-file=both.yaml").expect(t, 1,
		"cloudfuse: both.yaml:1: components: file_cache and block_cache cannot be used together; pick one")

	e.write("thr.yaml", s3Config+"file_cache:\n  high-threshold: 40\n")
	e.run("mount", mnt, "--config-file=thr.yaml").expect(t, 1,
		`cloudfuse: thr.yaml:9: file_cache: duplicate key (first given at line 2)`)
}

func TestMountWarnsAndStillChecksEverything(t *testing.T) {
	e := newEnv(t)
	e.write("c.yaml", strings.Replace(s3Config, "  path: cache\n", "  path: cache\n  timout-sec: 3\n", 1))
	e.run("mount", filepath.Join(e.dir, "missing"), "--config-file=c.yaml").expect(t, 1,
		`cloudfuse: warning: c.yaml:4: file_cache.timout-sec: unknown key, ignored (did you mean "timeout-sec"?)`,
		"cloudfuse: mount path "+filepath.Join(e.dir, "missing")+" does not exist")
}

func TestMountPathChecks(t *testing.T) {
	e := newEnv(t)
	e.write("c.yaml", s3Config)
	file := e.write("afile", "x")
	full := e.mkdir("full")
	e.write("full/thing", "x")
	busy := e.mkdir("busy")
	ours := e.mkdir("ours")
	e.setMounts(fmt.Sprintf("40 22 0:50 / %s rw - ext4 /dev/sda1 rw\n41 22 0:51 / %s rw - fuse.cloudfuse cloudfuse:b rw\n", busy, ours))

	e.run("mount", "nope", "--config-file=c.yaml").expect(t, 1,
		"cloudfuse: mount path "+filepath.Join(e.dir, "nope")+" does not exist")
	e.run("mount", file, "--config-file=c.yaml").expect(t, 1,
		"cloudfuse: mount path "+file+" is not a directory")
	e.run("mount", full, "--config-file=c.yaml").expect(t, 1,
		"cloudfuse: mount path "+full+" is not empty (set nonempty: true or use -o nonempty to mount over it)")
	e.run("mount", busy, "--config-file=c.yaml").expect(t, 1,
		"cloudfuse: mount path "+busy+" is already a mount point (ext4)")
	e.run("mount", ours, "--config-file=c.yaml").expect(t, 1,
		"cloudfuse: mount path "+ours+" is already a mount point (of cloudfuse:b); run: cloudfuse unmount "+ours)
	inside := e.mkdir("m2")
	e.run("mount", inside, "--config-file=c.yaml", "--tmp-path", filepath.Join(inside, "cache"), "-o", "nonempty").expect(t, 1,
		"cloudfuse: file_cache.path "+filepath.Join(inside, "cache")+" must not be inside the mount path "+inside)
}

func TestMountFlagErrors(t *testing.T) {
	e := newEnv(t)
	e.write("c.yaml", s3Config)
	mnt := e.mkdir("mnt")
	e.run("mount", mnt, "--config-file=c.yaml", "--file-cache-timeout=abc").expect(t, 2,
		`cloudfuse: --file-cache-timeout: file_cache.timeout-sec: expected an integer, got "abc"`)
	e.run("mount", mnt, "--config-file=c.yaml", "--log-level=LOUD").expectPrefix(t, 2,
		`cloudfuse: --log-level: logging.level: expected one of LOG_OFF, LOG_CRIT`)
	e.run("mount", mnt, "--config-file=c.yaml", "--high-disk-threshold=50", "--low-disk-threshold=70").expect(t, 1,
		"cloudfuse: --high-disk-threshold: file_cache.high-threshold: high-threshold (50) must not be below low-threshold (70)")
	e.run("mount", mnt, "--config-file=c.yaml", "-o", "allow_other,bogus").expectPrefix(t, 2,
		"cloudfuse: -o bogus: unknown FUSE option (known: allow_other")
	e.run("mount", mnt, "--config-file=c.yaml", "-o", "uid=me").expect(t, 2,
		`cloudfuse: -o uid=me: libfuse.uid: expected a non-negative integer, got "me"`)
	e.run("mount", mnt, "--config-file=c.yaml", "--wait-for-mount=forever").expect(t, 2,
		`cloudfuse: --wait-for-mount: wait-for-mount: expected a duration such as 10s or 2m, got "forever"`)
}

// parseMount parses a mount command line and loads its config as the
// mount command would.
func parseMount(t *testing.T, e *env, args ...string) (*config.Config, []string, error) {
	t.Helper()
	a := &app{getenv: func(k string) string { return e.vars[k] }}
	var cmd *cobra.Command
	for _, c := range a.rootCmd().Commands() {
		if c.Name() == "mount" {
			cmd = c
		}
	}
	if err := cmd.ParseFlags(args); err != nil {
		t.Fatal(err)
	}
	m := mountArgs{}
	m.configFile, _ = cmd.Flags().GetString("config-file")
	m.fuseOpts, _ = cmd.Flags().GetStringArray("o")
	cfg, _, pass, err := a.loadConfig(cmd.Flags(), m)
	return cfg, pass, err
}

func TestFlagsWinOverEnvironmentOverFile(t *testing.T) {
	e := newEnv(t)
	e.write("az.yaml", `components: [libfuse, file_cache, attr_cache, azstorage]
azstorage:
  account-name: fromfile
  container: fromfile
  account-key: k
  subdirectory: fromfile
file_cache:
  timeout-sec: 5
  path: /tmp/cache
`)
	e.vars["AZURE_STORAGE_ACCOUNT_CONTAINER"] = "fromenv"
	e.vars["AZURE_STORAGE_ACCOUNT"] = "acct"
	cfg, _, err := parseMount(t, e, "--config-file=az.yaml", "--container-name=fromflag", "--subdirectory=a/b",
		"--file-cache-timeout=7", "--read-only", "--no-symlinks", "--log-level=log_debug", "--attr-timeout=3",
		"--ignore-open-flags=false", "--tmp-path=/var/cache/cf", "--cache-size-mb=100", "--allow-other")
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(cfg.Azure.AccountName, cfg.Azure.Container, cfg.Azure.Subdirectory, cfg.FileCache.TimeoutSec,
		cfg.ReadOnly, cfg.SymlinksEnabled(), cfg.Logging.Level, cfg.Libfuse.AttributeExpirationSec,
		cfg.Libfuse.IgnoreOpenFlags, cfg.FileCache.Path, cfg.FileCache.MaxSizeMB, cfg.AllowOther)
	want := fmt.Sprint("acct", "fromflag", "a/b", 7, true, false, config.LogDebug, 3, false, "/var/cache/cf", 100.0, true)
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if o := cfg.Origin("azstorage.container"); o != "--container-name" {
		t.Errorf("origin = %q", o)
	}
}

func TestContainerNameIsTheBucketForS3(t *testing.T) {
	e := newEnv(t)
	e.write("c.yaml", s3Config)
	cfg, _, err := parseMount(t, e, "--config-file=c.yaml", "--container-name=other", "--subdirectory=/x/")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.S3.BucketName != "other" || cfg.Subdirectory() != "/x/" || mountSource(cfg) != "cloudfuse:other/x" {
		t.Errorf("bucket %q subdirectory %q source %q", cfg.S3.BucketName, cfg.S3.Subdirectory, mountSource(cfg))
	}
}

func TestFuseOptions(t *testing.T) {
	e := newEnv(t)
	e.write("c.yaml", s3Config)
	cfg, pass, err := parseMount(t, e, "--config-file=c.yaml",
		"-o", "allow_other,ro,attr_timeout=5,entry_timeout=6", "-o", "negative_timeout=7,uid=1000,gid=100,umask=027",
		"-o", "direct_io,default_permissions,nosuid,noatime,_netdev,x-systemd.automount,rw,nonempty")
	if err != nil {
		t.Fatal(err)
	}
	l := cfg.Libfuse
	if !cfg.AllowOther || !cfg.ReadOnly || l.AttributeExpirationSec != 5 || l.EntryExpirationSec != 6 ||
		l.NegativeEntryExpirationSec != 7 || *l.UID != 1000 || *l.GID != 100 || l.Umask != 0o27 || !l.DirectIO || !cfg.NonEmpty {
		t.Errorf("options not applied: %+v %+v", cfg, l)
	}
	if strings.Join(pass, ",") != "default_permissions,nosuid" {
		t.Errorf("passed through %v", pass)
	}
	// Named flags win over -o.
	cfg, _, err = parseMount(t, e, "--config-file=c.yaml", "-o", "attr_timeout=5", "--attr-timeout=9")
	if err != nil || cfg.Libfuse.AttributeExpirationSec != 9 {
		t.Errorf("--attr-timeout did not win: %v %d", err, cfg.Libfuse.AttributeExpirationSec)
	}
}

func TestOptionMapping(t *testing.T) {
	e := newEnv(t)
	e.write("c.yaml", s3Config+`libfuse:
  attribute-expiration-sec: 11
  entry-expiration-sec: 12
  negative-entry-expiration-sec: 13
  disable-writeback-cache: true
  fuse-trace: true
  default-permission: 0770
  umask: 0007
  uid: 42
attr_cache:
  timeout-sec: 30
  max-files: 99
`)
	e.write("c.yaml", strings.Replace(readFile(t, "c.yaml"), "file_cache:\n  path: cache\n",
		"file_cache:\n  path: cache\n  timeout-sec: 0\n  max-size-mb: 2\n  high-threshold: 70\n  low-threshold: 50\n", 1))
	cfg, pass, err := parseMount(t, e, "--config-file=c.yaml", "-o", "default_permissions")
	if err != nil {
		t.Fatal(err)
	}
	v := vfsOptions(cfg, nil)
	if v.CacheDir != "cache" || v.CacheTimeout != time.Second || v.CacheMaxBytes != 2<<20 || v.HighDiskThreshold != 70 ||
		v.LowDiskThreshold != 50 || v.AttrTTL != 30*time.Second || v.MaxCachedEntries != 99 || v.DefaultUID != 42 ||
		v.DefaultGID != uint32(os.Getgid()) || v.DefaultFileMode != 0o770 || v.DefaultDirMode != 0o770 ||
		v.PartSize != 8<<20 || v.UploadConcurrency != 5 || v.NoSymlinks || v.ReadOnly {
		t.Errorf("vfs options: %+v", v)
	}
	f := fuseOptions(cfg, mountSource(cfg), pass, nil)
	if f.AttrTimeout != 11*time.Second || f.EntryTimeout != 12*time.Second || f.NegativeTimeout != 13*time.Second ||
		!f.DisableWritebackCache || !f.Debug || f.FSName != "cloudfuse:b" || strings.Join(f.Options, ",") != "default_permissions" {
		t.Errorf("fuse options: %+v", f)
	}

	cfg, _, err = parseMount(t, e, "--config-file=c.yaml", "-o", "direct_io")
	if err != nil {
		t.Fatal(err)
	}
	if f := fuseOptions(cfg, "", nil, nil); !f.DirectIO || f.AttrTimeout != 0 || f.EntryTimeout != 0 || f.NegativeTimeout != 0 {
		t.Errorf("direct_io must zero the kernel timeouts: %+v", f)
	}

	s := s3Options(cfg, nil)
	if s.Bucket != "b" || s.Endpoint != "http://127.0.0.1:1" || s.AccessKeyID != "id" || s.SecretAccessKey != "secret" || s.DisableChecksum {
		t.Errorf("s3 options: %+v", s)
	}
}

func TestOptionMappingWithoutAttrCacheOrFileCache(t *testing.T) {
	e := newEnv(t)
	e.vars["HOME"] = e.dir
	e.write("c.yaml", "components: [libfuse, stream, s3storage]\ns3storage: {bucket-name: b}\nread-only: true\nallow-other: true\n")
	cfg, _, err := parseMount(t, e, "--config-file=c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	v := vfsOptions(cfg, nil)
	if v.AttrTTL != 0 || v.CacheDir != "" || !v.ReadOnly || v.DefaultFileMode != 0o777 {
		t.Errorf("vfs options: %+v", v)
	}
}

func TestAzureOptionMapping(t *testing.T) {
	e := newEnv(t)
	e.write("az.yaml", `components: [libfuse, file_cache, azstorage]
azstorage:
  type: adls
  account-name: acct
  container: box
  mode: msi
  appid: the-app
  block-size-mb: 4
  max-concurrency: 8
  retry-backoff-sec: 2
  max-retry-delay-sec: 30
  max-retry-timeout-sec: 100
  use-http: true
`)
	cfg, _, err := parseMount(t, e, "--config-file=az.yaml")
	if err != nil {
		t.Fatal(err)
	}
	o := azureOptions(cfg, nil)
	if o.AccountName != "acct" || o.Container != "box" || o.Mode != "msi" || o.ClientID != "the-app" || o.Type != "adls" ||
		o.BlockSize != 4<<20 || o.MaxConcurrency != 8 || o.RetryDelay != 2*time.Second || o.MaxRetryDelay != 30*time.Second ||
		o.TryTimeout != 100*time.Second || !o.UseHTTP {
		t.Errorf("azure options: %+v", o)
	}
	if v := vfsOptions(cfg, nil); v.PartSize != 4<<20 || v.UploadConcurrency != 8 {
		t.Errorf("vfs options: %+v", v)
	}
	if src := mountSource(cfg); src != "cloudfuse:acct/box" {
		t.Errorf("source = %q", src)
	}
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
