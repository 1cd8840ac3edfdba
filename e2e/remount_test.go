//go:build linux

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Cloudfuse's remount flags and service commands write the systemd unit
// that brings a mount back at boot, and take it away again.
func TestRemountFlagsWriteSystemdUnits(t *testing.T) {
	_, section := setupS3(t)
	work := t.TempDir()
	units := filepath.Join(work, "units")
	cfg := filepath.Join(work, "c.yaml")
	if err := os.WriteFile(cfg, []byte("components: [libfuse, file_cache, attr_cache, s3storage]\nfile_cache:\n  path: "+
		filepath.Join(work, "cache")+"\nlogging:\n  file-path: "+filepath.Join(work, "log")+"\n"+section), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(work, "my mnt")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if isMounted(dir) {
			_ = exec.Command("fusermount3", "-u", "-z", dir).Run()
		}
	})
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(binary, args...)
		cmd.Env = append(os.Environ(), "CLOUDFUSE_SYSTEMD_DIR="+units, "CLOUDFUSE_RUNTIME_DIR="+filepath.Join(work, "run"))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("cloudfuse %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	unit := filepath.Join(units, "cloudfuse-"+strings.ReplaceAll(strings.Trim(dir, "/"), "/", "-")+".service")
	unit = strings.ReplaceAll(unit, "my mnt", "my_mnt")

	out := run("mount", dir, "--config-file="+cfg, "--enable-remount-system", "--remount-system-user=nobody")
	if !isMounted(dir) || !strings.Contains(out, unit) {
		t.Fatalf("mount --enable-remount-system: mounted %v, said %q", isMounted(dir), out)
	}
	text, err := os.ReadFile(unit)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`mount "` + dir + `" --config-file=` + cfg + " --foreground", "User=nobody", "WantedBy=multi-user.target"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("unit lacks %q:\n%s", want, text)
		}
	}
	run("unmount", dir, "--disable-remount-system")
	if isMounted(dir) {
		t.Fatal("still mounted")
	}
	if _, err := os.Stat(unit); !os.IsNotExist(err) {
		t.Fatalf("unit left after --disable-remount-system: %v", err)
	}

	// service mount and service unmount are the same pair.
	run("service", "mount", dir, "--config-file="+cfg)
	if _, err := os.Stat(unit); err != nil || !isMounted(dir) {
		t.Fatalf("service mount: unit %v, mounted %v", err, isMounted(dir))
	}
	run("service", "unmount", dir)
	if _, err := os.Stat(unit); !os.IsNotExist(err) || isMounted(dir) {
		t.Fatalf("service unmount: unit %v, mounted %v", err, isMounted(dir))
	}

	// The Windows-only service commands say why they do nothing here.
	cmd := exec.Command(binary, "service", "install")
	o, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(o), "systemd unit") || strings.Count(strings.TrimSpace(string(o)), "\n") != 0 {
		t.Fatalf("service install on Linux: %v %q", err, o)
	}
}
