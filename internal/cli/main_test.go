package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The background tests start this test binary again as the daemon; with
// this variable set it behaves as the cloudfuse binary.
const testMainEnv = "CLOUDFUSE_CLI_TEST_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(testMainEnv) == "1" {
		os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	os.Exit(m.Run())
}

// result is one run of the command line.
type result struct {
	code           int
	stdout, stderr string
}

// env is a test environment: a working directory, a fake mount table and
// environment variables.
type env struct {
	t         *testing.T
	dir       string
	mountinfo string
	vars      map[string]string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	e := &env{t: t, dir: dir, mountinfo: filepath.Join(dir, "mountinfo"), vars: map[string]string{}}
	e.setMounts("")
	t.Chdir(dir)
	return e
}

// setMounts writes the fake mount table.
func (e *env) setMounts(lines string) {
	e.t.Helper()
	base := "22 1 0:21 / /proc rw,nosuid shared:5 - proc proc rw\n"
	if err := os.WriteFile(e.mountinfo, []byte(base+lines), 0o600); err != nil {
		e.t.Fatal(err)
	}
}

// write creates a file relative to the working directory.
func (e *env) write(name, body string) string {
	e.t.Helper()
	p := filepath.Join(e.dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// mkdir creates a directory relative to the working directory.
func (e *env) mkdir(name string) string {
	e.t.Helper()
	p := filepath.Join(e.dir, name)
	if err := os.MkdirAll(p, 0o755); err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *env) run(args ...string) result {
	e.t.Helper()
	var out, errb bytes.Buffer
	a := &app{
		stdin:      strings.NewReader(""),
		stdout:     &out,
		stderr:     &errb,
		args:       args,
		getenv:     func(k string) string { return e.vars[k] },
		executable: os.Executable,
		mountinfo:  e.mountinfo,
	}
	code := a.run(context.Background())
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// expect checks the exit code and that stderr is exactly the given lines.
func (r result) expect(t *testing.T, code int, stderrLines ...string) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit code %d, want %d\nstderr: %s", r.code, code, r.stderr)
	}
	want := strings.Join(stderrLines, "\n")
	if len(stderrLines) > 0 {
		want += "\n"
	}
	if r.stderr != want {
		t.Errorf("stderr\n got: %q\nwant: %q", r.stderr, want)
	}
}

// expectPrefix checks the exit code and that stderr is one line starting
// with prefix.
func (r result) expectPrefix(t *testing.T, code int, prefix string) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit code %d, want %d\nstderr: %s", r.code, code, r.stderr)
	}
	if !strings.HasPrefix(r.stderr, prefix) || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("stderr\n got: %q\nwant one line starting %q", r.stderr, prefix)
	}
}

func TestVersion(t *testing.T) {
	e := newEnv(t)
	r := e.run("version")
	r.expect(t, 0)
	if !strings.HasPrefix(r.stdout, "cloudfuse version ") {
		t.Errorf("stdout = %q", r.stdout)
	}
}

func TestHelpOnEveryCommand(t *testing.T) {
	e := newEnv(t)
	for _, args := range [][]string{
		{"-h"}, {"--help"}, {"version", "-h"}, {"mount", "-h"}, {"mount", "list", "-h"}, {"unmount", "--help"},
	} {
		r := e.run(args...)
		r.expect(t, 0)
		if !strings.Contains(r.stdout, "Usage:") {
			t.Errorf("%v: no usage in %q", args, r.stdout)
		}
	}
	r := e.run("mount", "-h")
	for _, flag := range []string{"--config-file", "--dry-run", "--foreground", "--read-only", "--wait-for-mount",
		"--log-level", "--log-file-path", "--log-type", "--attr-cache-timeout", "--file-cache-timeout", "--tmp-path",
		"--cache-size-mb", "--high-disk-threshold", "--low-disk-threshold", "--attr-timeout", "--entry-timeout",
		"--negative-timeout", "--allow-other", "--subdirectory", "--container-name", "--disable-writeback-cache",
		"--ignore-open-flags", "--no-symlinks", "-o,"} {
		if !strings.Contains(r.stdout, flag) {
			t.Errorf("mount -h lacks %s", flag)
		}
	}
	if strings.Contains(r.stdout, "notify-fd") {
		t.Error("mount -h shows the internal --notify-fd flag")
	}
}

func TestUsageErrors(t *testing.T) {
	e := newEnv(t)
	e.run("frobnicate").expectPrefix(t, 2, `cloudfuse: unknown command "frobnicate" for "cloudfuse"`)
	e.run("mount").expectPrefix(t, 2, "cloudfuse: cloudfuse mount: accepts 1 arg(s), received 0")
	e.run("mount", "a", "b").expectPrefix(t, 2, "cloudfuse: cloudfuse mount: accepts 1 arg(s), received 2")
	e.run("mount", "x", "--no-such-flag").expectPrefix(t, 2, "cloudfuse: unknown flag: --no-such-flag")
	e.run("unmount").expectPrefix(t, 2, "cloudfuse: cloudfuse unmount: accepts 1 arg(s), received 0")
	e.run("version", "extra").expectPrefix(t, 2, "cloudfuse: cloudfuse version: unknown command")
}

func TestOneLine(t *testing.T) {
	if got := oneLine(" a\n  b\nc \n"); got != "a; b; c" {
		t.Errorf("oneLine = %q", got)
	}
}
