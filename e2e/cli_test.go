//go:build linux

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// cloudfuse runs the binary and returns its combined output and exit code.
func cloudfuse(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), code
}

// expectOneLineError checks a failed command printed one clear line that
// mentions every word in want, no stack trace, and mounted nothing.
func expectOneLineError(t *testing.T, out string, code int, dir string, want ...string) {
	t.Helper()
	if code == 0 {
		t.Fatalf("exit 0, output %q", out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 1 {
		t.Fatalf("want one line, got %d:\n%s", len(lines), out)
	}
	if strings.Contains(out, "goroutine") || strings.Contains(out, "panic") {
		t.Fatalf("stack trace in output:\n%s", out)
	}
	for _, w := range want {
		if !strings.Contains(strings.ToLower(out), strings.ToLower(w)) {
			t.Fatalf("output %q does not mention %q", out, w)
		}
	}
	if dir != "" && isMounted(dir) {
		t.Fatalf("%s is mounted after a failed mount", dir)
	}
}

func TestMountRefusesBadInput(t *testing.T) {
	endpoint, key, secret := s3Env(t)
	_, section := setupS3(t)
	work := t.TempDir()
	dir := filepath.Join(work, "mnt")
	os.Mkdir(dir, 0o755)
	write := func(name, body string) string {
		p := filepath.Join(work, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	base := "components: [libfuse, file_cache, attr_cache, s3storage]\nfile_cache:\n  path: " +
		filepath.Join(work, "cache") + "\n"
	cases := []struct {
		name string
		cfg  string
		dir  string
		want []string
	}{
		{"wrong type", base + "attr_cache:\n  timeout-sec: abc\n" + section, dir,
			[]string{"timeout-sec", "bad-type.yaml", ":5"}},
		{"missing bucket", base + strings.Replace(section, "bucket-name: ", "bucket-name: no-such-", 1), dir,
			[]string{"no-such-"}},
		{"wrong credentials", base + strings.Replace(section, secret, "wrong-secret", 1), dir,
			[]string{"credential"}},
		{"unreachable endpoint", base + strings.Replace(section, endpoint, "http://127.0.0.1:1", 1), dir,
			[]string{"127.0.0.1:1"}},
		{"missing mount path", base + section, filepath.Join(work, "nope"), []string{"nope"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := write(strings.ReplaceAll(c.name, " ", "-")+".yaml", c.cfg)
			if c.name == "wrong type" {
				cfg = write("bad-type.yaml", c.cfg)
			}
			out, code := cloudfuse(t, "mount", c.dir, "--config-file="+cfg)
			expectOneLineError(t, out, code, c.dir, c.want...)
		})
	}
	t.Run("misspelt key warns and names it", func(t *testing.T) {
		cfg := write("typo.yaml", base+"attr_cache:\n  timeout-secs: 5\n"+section)
		out, code := cloudfuse(t, "mount", dir, "--config-file="+cfg, "--dry-run")
		if code != 0 || !strings.Contains(out, "timeout-secs") || !strings.Contains(out, "typo.yaml") {
			t.Fatalf("exit %d, output %q", code, out)
		}
	})
	t.Run("no config file", func(t *testing.T) {
		out, code := cloudfuse(t, "mount", dir, "--config-file="+filepath.Join(work, "absent.yaml"))
		if code == 0 || !strings.Contains(out, "s3storage") {
			t.Fatalf("exit %d, output %q", code, out)
		}
	})
	_ = key
}

func TestBackgroundMountListUnmount(t *testing.T) {
	_, section := setupS3(t)
	work := t.TempDir()
	dir := filepath.Join(work, "mnt")
	os.Mkdir(dir, 0o755)
	cfg := filepath.Join(work, "config.yaml")
	body := "components: [libfuse, file_cache, attr_cache, s3storage]\nfile_cache:\n  path: " +
		filepath.Join(work, "cache") + "\nlogging:\n  file-path: " + filepath.Join(work, "log") + "\n" + section
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	out, code := cloudfuse(t, "mount", dir, "--config-file="+cfg)
	if code != 0 {
		t.Fatalf("background mount: exit %d %s", code, out)
	}
	t.Cleanup(func() {
		if isMounted(dir) {
			exec.Command("fusermount3", "-u", "-z", dir).Run()
		}
	})
	if !isMounted(dir) {
		t.Fatal("mount returned 0 but nothing is mounted")
	}
	mustWrite(t, filepath.Join(dir, "f"), "data")
	out, _ = cloudfuse(t, "mount", "list")
	if !strings.Contains(out, dir) {
		t.Fatalf("mount list does not show %s:\n%s", dir, out)
	}
	// Mounting again on a mounted path is refused.
	out, code = cloudfuse(t, "mount", dir, "--config-file="+cfg)
	expectOneLineError(t, out, code, "", "mount")
	out, code = cloudfuse(t, "unmount", dir)
	if code != 0 {
		t.Fatalf("unmount: exit %d %s", code, out)
	}
	deadline := time.Now().Add(10 * time.Second)
	for isMounted(dir) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if isMounted(dir) {
		t.Fatal("still mounted after unmount")
	}
}
