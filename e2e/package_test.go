//go:build linux

package e2e

// The Debian package (make package): installed with dpkg on this
// machine, mounted through mount -t fuse.cloudfuse, removed cleanly.

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// packaged are the files the package installs.
var packaged = []string{"/usr/bin/cloudfuse", "/sbin/mount.fuse.cloudfuse", "/lib/systemd/system/cloudfuse@.service",
	"/usr/share/doc/cloudfuse/examples/s3-filecache.yaml"}

func TestDebianPackage(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("installing a package needs root")
	}
	if _, err := exec.LookPath("dpkg"); err != nil {
		t.Skip("no dpkg on this machine")
	}
	if exec.Command("dpkg", "-s", "cloudfuse").Run() == nil {
		t.Skip("a cloudfuse package is installed here already; not replacing it")
	}
	for _, f := range packaged[:2] {
		if _, err := os.Lstat(f); err == nil {
			t.Skipf("%s exists already (not from a package); not replacing it", f)
		}
	}
	b, section := setupS3(t)
	dir := t.TempDir()
	// The binary under test goes in (make package builds a static one).
	out, err := exec.Command("go", "run", "../scripts/package", "-binary", binary, "-version", "0.0.1",
		"-out", dir, "-root", "..").CombinedOutput()
	if err != nil {
		t.Fatalf("package: %v\n%s", err, out)
	}
	deb := strings.TrimSpace(string(out))
	t.Cleanup(func() {
		if exec.Command("dpkg", "-s", "cloudfuse").Run() != nil {
			return // purged by the test
		}
		if out, err := exec.Command("dpkg", "--purge", "cloudfuse").CombinedOutput(); err != nil {
			t.Errorf("dpkg --purge: %v\n%s", err, out)
		}
	})
	if out, err := exec.Command("dpkg", "-i", deb).CombinedOutput(); err != nil {
		t.Fatalf("dpkg -i: %v\n%s", err, out)
	}
	for _, f := range packaged {
		if _, err := os.Lstat(f); err != nil {
			t.Errorf("installed: %v", err)
		}
	}
	if link, err := os.Readlink("/sbin/mount.fuse.cloudfuse"); err != nil || link != "/usr/bin/cloudfuse" {
		t.Errorf("mount helper: %q %v", link, err)
	}
	if out, err := exec.Command("/usr/bin/cloudfuse", "version").CombinedOutput(); err != nil || !strings.HasPrefix(string(out), "cloudfuse version") {
		t.Errorf("cloudfuse version: %v %s", err, out)
	}

	// mount -t fuse.cloudfuse, as an fstab line does.
	cfg := filepath.Join(dir, "photos.yaml")
	mustWrite(t, cfg, "components: [libfuse, file_cache, attr_cache, s3storage]\nfile_cache:\n  path: "+
		filepath.Join(dir, "cache")+"\nlogging:\n  type: base\n  file-path: "+filepath.Join(dir, "log")+"\n"+section)
	mnt := filepath.Join(dir, "mnt")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "fuse.cloudfuse", cfg, mnt).CombinedOutput(); err != nil {
		t.Fatalf("mount -t fuse.cloudfuse: %v\n%s\n%s", err, out, tail(filepath.Join(dir, "log")))
	}
	lazyUnmountAtCleanup(t, mnt)
	mustWrite(t, filepath.Join(mnt, "from-package.txt"), "installed with dpkg")
	if got, err := storeGet(t, b, "from-package.txt"); err != nil || got != "installed with dpkg" {
		t.Errorf("the object: %q %v", got, err)
	}
	if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
		t.Fatalf("umount: %v\n%s", err, out)
	}
	for deadline := time.Now().Add(30 * time.Second); isMounted(mnt) && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}

	if out, err := exec.Command("dpkg", "--purge", "cloudfuse").CombinedOutput(); err != nil {
		t.Fatalf("dpkg --purge: %v\n%s", err, out)
	}
	for _, f := range packaged {
		if _, err := os.Lstat(f); !os.IsNotExist(err) {
			t.Errorf("left after purge: %s (%v)", f, err)
		}
	}
	if exec.Command("dpkg", "-s", "cloudfuse").Run() == nil {
		t.Error("dpkg still lists cloudfuse after purge")
	}
}
