package cli

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLogCompatibilityNamesInertSettings(t *testing.T) {
	e := newEnv(t)
	e.write("c.yaml", `components: [libfuse, file_cache, attr_cache, s3storage]
file_cache:
  path: cache
  refresh-sec: 5
  sync-to-flush: true
s3storage:
  bucket-name: b
libfuse:
  max-fuse-threads: 64
`)
	cfg, _, err := parseMount(t, e, "--config-file=c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	logCompatibility(cfg, slog.New(slog.NewTextHandler(&buf, nil)))
	out := buf.String()
	for _, want := range []string{
		`msg="setting has no effect here" key=file_cache.refresh-sec from=c.yaml:4 why="a cached copy is used only while`,
		`msg="setting has no effect here" key=libfuse.max-fuse-threads from=c.yaml:9 why="every FUSE request is served on its own goroutine`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "sync-to-flush") {
		t.Errorf("sync-to-flush: true is what we do, yet it was reported:\n%s", out)
	}
}

func TestDryRunOnLoopback(t *testing.T) {
	e := newEnv(t)
	store := filepath.Join(e.dir, "store")
	e.write("c.yaml", "components: [libfuse, file_cache, loopbackfs]\nfile_cache: {path: cache}\nloopbackfs: {path: "+store+"}\n")
	r := e.run("mount", e.mkdir("mnt"), "--config-file=c.yaml", "--dry-run")
	r.expect(t, 0)
	if want := `dry run: configuration valid and directory "` + store + `" reachable at this machine; nothing mounted` + "\n"; r.stdout != want {
		t.Errorf("stdout %q, want %q", r.stdout, want)
	}
}

func TestProfiler(t *testing.T) {
	e := newEnv(t)
	e.write("c.yaml", s3Config+"cpu-profile: cpu.out\nmem-profile: mem.out\ndynamic-profile: true\nprofiler-ip: 127.0.0.1\nprofiler-port: 0\n")
	cfg, _, err := parseMount(t, e, "--config-file=c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	p, err := startProfiler(cfg, slog.New(slog.NewTextHandler(&buf, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "msg=\"dynamic profiler listening\" url=http://127.0.0.1:") {
		t.Errorf("log: %s", buf.String())
	}
	p.stop()
	for _, f := range []string{"cpu.out", "mem.out"} {
		if fi, err := os.Stat(f); err != nil || fi.Size() == 0 {
			t.Errorf("%s not written: %v", f, err)
		}
	}
}
