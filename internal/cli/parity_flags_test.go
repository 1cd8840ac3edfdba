package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/a9de3765/cloudfuse/internal/config"
)

const azConfig = `components: [libfuse, file_cache, attr_cache, azstorage]
file_cache:
  path: cache
azstorage:
  account-name: acct
  container: c
  account-key: a2V5
  endpoint: http://127.0.0.1:1/acct
`

// Every mount flag of Cloudfuse and the extra ones of BlobFuse2 is shown
// by mount --help.
func TestMountHelpShowsEveryCompatFlag(t *testing.T) {
	e := newEnv(t)
	r := e.run("mount", "--help")
	r.expect(t, 0)
	for _, f := range []string{"config-file", "log-level", "log-file-path", "foreground", "read-only",
		"default-working-dir", "disable-version-check", "secure-config", "passphrase", "wait-for-mount",
		"attr-cache-timeout", "no-symlinks", "container-name", "cancel-list-on-mount-seconds",
		"virtual-directory", "subdirectory", "disable-compression", "use-adls", "file-cache-timeout",
		"tmp-path", "cache-size-mb", "high-disk-threshold", "low-disk-threshold", "sync-to-flush",
		"block-size-mb", "block-cache-block-size", "block-cache-pool-size", "block-cache-path",
		"block-cache-disk-size", "block-cache-prefetch", "block-cache-prefetch-on-open", "attr-timeout",
		"entry-timeout", "negative-timeout", "allow-other", "disable-writeback-cache", "ignore-open-flags",
		"block-cache", "streaming", "use-attr-cache", "disable-kernel-cache", "lazy-write",
		"cleanup-on-start", "log-type"} {
		if !strings.Contains(r.stdout, "--"+f+" ") && !strings.Contains(r.stdout, "--"+f+"\n") {
			t.Errorf("mount --help lacks --%s", f)
		}
	}
	if !strings.Contains(r.stdout, "-o, --o") {
		t.Error("mount --help lacks -o")
	}
}

func TestComponentFlags(t *testing.T) {
	e := newEnv(t)
	e.write("c.yaml", s3Config)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "libfuse file_cache attr_cache s3storage"},
		{[]string{"--block-cache"}, "libfuse block_cache attr_cache s3storage"},
		{[]string{"--streaming"}, "libfuse stream attr_cache s3storage"},
		{[]string{"--streaming=false"}, "libfuse file_cache attr_cache s3storage"},
		{[]string{"--use-attr-cache=false"}, "libfuse file_cache s3storage"},
		{[]string{"--use-attr-cache=false", "--use-attr-cache"}, "libfuse file_cache attr_cache s3storage"},
		{[]string{"--block-cache", "--use-attr-cache=false"}, "libfuse block_cache s3storage"},
	} {
		cfg, _, err := parseMount(t, e, append([]string{"--config-file=c.yaml"}, tc.args...)...)
		if err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		if got := strings.Join(cfg.Components, " "); got != tc.want {
			t.Errorf("%v: components %q, want %q", tc.args, got, tc.want)
		}
	}
	e.write("noattr.yaml", strings.Replace(s3Config, "attr_cache, ", "", 1))
	cfg, _, err := parseMount(t, e, "--config-file=noattr.yaml", "--use-attr-cache")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cfg.Components, " "); got != "libfuse file_cache attr_cache s3storage" {
		t.Errorf("--use-attr-cache: %q", got)
	}
}

// Flags whose key depends on the store or the data path land on the
// right one.
func TestStoreDependentFlags(t *testing.T) {
	e := newEnv(t)
	e.write("s3.yaml", s3Config)
	e.write("az.yaml", azConfig)
	flags := []string{"--cancel-list-on-mount-seconds=10", "--virtual-directory=false"}
	cfg, _, err := parseMount(t, e, append([]string{"--config-file=s3.yaml"}, flags...)...)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.S3.BlockListOnMountSec != 10 || cfg.S3.VirtualDirectory || cfg.ListBlockedFor() != 10*time.Second ||
		cfg.Origin("s3storage.block-list-on-mount-sec") != "--cancel-list-on-mount-seconds" {
		t.Errorf("s3: %+v", cfg.S3)
	}
	cfg, _, err = parseMount(t, e, append([]string{"--config-file=az.yaml", "--use-adls", "--disable-compression"}, flags...)...)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Azure.BlockListOnMountSec != 10 || cfg.Azure.VirtualDirectory || cfg.Azure.Type != config.AccountADLS ||
		!cfg.Azure.DisableCompression || cfg.S3.BlockListOnMountSec != 0 {
		t.Errorf("azure: %+v", cfg.Azure)
	}

	cfg, _, err = parseMount(t, e, "--config-file=s3.yaml", "--cleanup-on-start")
	if err != nil || !cfg.FileCache.CleanupOnStart || cfg.BlockCache.CleanupOnStart {
		t.Errorf("--cleanup-on-start with file_cache: %v %+v", err, cfg.FileCache)
	}
	cfg, _, err = parseMount(t, e, "--config-file=s3.yaml", "--block-cache", "--cleanup-on-start")
	if err != nil || !cfg.BlockCache.CleanupOnStart || cfg.FileCache.CleanupOnStart {
		t.Errorf("--cleanup-on-start with block_cache: %v %+v", err, cfg.BlockCache)
	}
}

func TestMoreCompatFlags(t *testing.T) {
	e := newEnv(t)
	e.write("c.yaml", s3Config)
	cfg, _, err := parseMount(t, e, "--config-file=c.yaml", "--default-working-dir=work", "--disable-kernel-cache",
		"--lazy-write", "--sync-to-flush", "--streaming", "--block-size-mb=4", "--file-cache-timeout-in-seconds=7")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DefaultWorkingDir != "work" || !cfg.DisableKernelCache || !cfg.LazyWrite || !cfg.FileCache.SyncToFlush ||
		cfg.Stream.BlockSizeMB != 4 || cfg.FileCache.TimeoutSec != 7 {
		t.Errorf("config: %+v", cfg)
	}
	if !directIO(cfg) {
		t.Error("--disable-kernel-cache does not bypass the page cache")
	}
	if o := fuseOptions(cfg, "src", nil, nil); o.AttrTimeout != 0 || o.EntryTimeout != 0 || o.NegativeTimeout != 0 || !o.DirectIO {
		t.Errorf("--disable-kernel-cache kernel options: %+v", o)
	}
	if so := vfsOptions(cfg, nil).Stream; so == nil || so.PartSize != 4<<20 {
		t.Errorf("--block-size-mb: part size %d", so.PartSize)
	}
}

func TestInertFlagsAreAcceptedWithAReason(t *testing.T) {
	e := newEnv(t)
	e.write("c.yaml", s3Config)
	a := &app{getenv: func(k string) string { return e.vars[k] }}
	cmd := findCmd(a, "mount")
	if err := cmd.ParseFlags([]string{"--config-file=c.yaml", "--pre-mount-validate=true", "--empty-dir-check=false"}); err != nil {
		t.Fatal(err)
	}
	_, warns, _, err := a.loadConfig(cmd.Flags(), mountArgs{configFile: "c.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range warns {
		got = append(got, w.String())
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{
		"--pre-mount-validate: accepted for compatibility, no effect here: the store is always checked",
		"--empty-dir-check: accepted for compatibility, no effect here: ",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("warnings lack %q:\n%s", want, all)
		}
	}
}

// findCmd returns the subcommand name of a's root command.
func findCmd(a *app, name string) *cobra.Command {
	for _, c := range a.rootCmd().Commands() {
		if c.Name() == name {
			return c
		}
	}
	return nil
}
