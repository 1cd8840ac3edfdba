//go:build linux

package cli

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// mkfifo makes a named pipe in the test's directory.
func mkfifo(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Cloudfuse's --passphrase-pipe: mount reads the passphrase of an
// encrypted config from a named pipe another program writes.
func TestPassphrasePipe(t *testing.T) {
	e := newEnv(t)
	e.write("c.yaml", s3Config)
	e.runCheap("secure", "encrypt", "--config-file=c.yaml", "--passphrase=pw").expect(t, 0)
	pipe := mkfifo(t, "pass")
	go func() {
		f, err := os.OpenFile(pipe, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		f.WriteString("pw\nrest is ignored\n")
		f.Close()
	}()
	// The store at 127.0.0.1:1 refuses: the dry run got past the
	// decryption to the bucket check.
	r := e.run("mount", e.mkdir("mnt"), "--config-file=c.yaml.aes", "--passphrase-pipe="+pipe, "--dry-run")
	if r.code != 1 || !strings.Contains(r.stderr, `bucket "b"`) || strings.Contains(r.stderr, "passphrase") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
	e.run("mount", "mnt", "--config-file=c.yaml.aes", "--passphrase-pipe="+pipe, "--passphrase=pw").expect(t, 2,
		"cloudfuse: give --passphrase or --passphrase-pipe, not both")
}

func TestReadPassphrasePipe(t *testing.T) {
	if _, err := readPassphrasePipe(mkfifo(t, "silent"), 100*time.Millisecond); err == nil ||
		!strings.Contains(err.Error(), "nothing written to it within 100ms") {
		t.Errorf("silent pipe: %v", err)
	}
	plain := filepath.Join(t.TempDir(), "file")
	os.WriteFile(plain, []byte("secret\r\n"), 0o600)
	if got, err := readPassphrasePipe(plain, time.Second); got != "secret" || err != nil {
		t.Errorf("plain file: %q %v", got, err)
	}
	os.WriteFile(plain, []byte("\n"), 0o600)
	if _, err := readPassphrasePipe(plain, time.Second); err == nil || !strings.Contains(err.Error(), "first line is empty") {
		t.Errorf("empty line: %v", err)
	}
	if _, err := readPassphrasePipe(plain+".missing", time.Second); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing: %v", err)
	}
}
