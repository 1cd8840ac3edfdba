//go:build linux

package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// Two unprivileged users the tests act as (no passwd entry is needed).
const (
	alice = 2001
	bob   = 2002
	staff = 3000 // a group alice belongs to
)

// as runs a command as uid (with gid = uid and the given extra groups).
func as(uid int, groups []int, name string, args ...string) *exec.Cmd {
	gs := []string{}
	for _, g := range groups {
		gs = append(gs, strconv.Itoa(g))
	}
	pargs := []string{"--reuid=" + strconv.Itoa(uid), "--regid=" + strconv.Itoa(uid)}
	if len(gs) > 0 {
		pargs = append(pargs, "--groups="+strings.Join(gs, ","))
	} else {
		pargs = append(pargs, "--clear-groups")
	}
	pargs = append(pargs, "--", name)
	return exec.Command("setpriv", append(pargs, args...)...)
}

// shAs runs a shell snippet as uid and returns its output and error.
func shAs(uid int, groups []int, script string) (string, error) {
	out, err := as(uid, groups, "sh", "-c", script).CombinedOutput()
	return string(out), err
}

// openUp lets other users reach the mount point through its parents.
func openUp(t *testing.T, m *mnt) { openPath(t, filepath.Dir(m.Dir)) }

// openPath gives other users search and read permission on dir and its
// ancestors, keeping every other bit (the sticky bit of /tmp included).
func openPath(t *testing.T, dir string) {
	for d := dir; d != "/" && d != "."; d = filepath.Dir(d) {
		var st syscall.Stat_t
		if err := syscall.Stat(d, &st); err != nil {
			t.Fatal(err)
		}
		if st.Mode&0o005 != 0o005 {
			if err := syscall.Chmod(d, st.Mode&0o7777|0o055); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func ownerOf(t *testing.T, p string) (uid, gid uint32, mode os.FileMode) {
	t.Helper()
	st, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	sys := st.Sys().(*syscall.Stat_t)
	return sys.Uid, sys.Gid, st.Mode()
}

func TestPermissionsAreKeptAndEnforced(t *testing.T) {
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			m := mountTarget(t, tg, mountOpts{flags: []string{"--allow-other"}})
			openUp(t, m)
			// A shared sticky directory, like /tmp.
			shared := m.path("shared")
			if err := os.Mkdir(shared, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(shared, os.ModeSticky|0o777); err != nil {
				t.Fatal(err)
			}
			// New objects get the caller's uid/gid and the mode asked for
			// minus the umask.
			if out, err := shAs(alice, nil, "umask 027; echo secret > "+shared+"/a.txt; chmod 600 "+shared+"/a.txt; echo pub > "+shared+"/pub.txt"); err != nil {
				t.Fatalf("alice writes: %v %s", err, out)
			}
			uid, gid, mode := ownerOf(t, filepath.Join(shared, "pub.txt"))
			if uid != alice || gid != alice || mode.Perm() != 0o640 {
				t.Fatalf("pub.txt: uid %d gid %d mode %v", uid, gid, mode)
			}
			// Bob cannot read alice's 0600 file, nor delete or rename hers
			// in the sticky directory; he can read the 0640 one only if in
			// her group (he is not).
			if out, err := shAs(bob, nil, "cat "+shared+"/a.txt"); err == nil || !strings.Contains(out, "Permission denied") {
				t.Fatalf("bob read a 0600 file: %v %s", err, out)
			}
			if out, err := shAs(bob, nil, "rm -f "+shared+"/pub.txt"); err == nil {
				t.Fatalf("bob deleted from a sticky dir: %s", out)
			}
			if out, err := shAs(bob, nil, "mv "+shared+"/pub.txt "+shared+"/stolen"); err == nil {
				t.Fatalf("bob renamed in a sticky dir: %s", out)
			}
			if out, err := shAs(bob, nil, "echo mine > "+shared+"/b.txt && rm "+shared+"/b.txt"); err != nil {
				t.Fatalf("bob's own file: %v %s", err, out)
			}
			// chown: only root may give a file away; the owner may change
			// the group to one she belongs to.
			if out, err := shAs(alice, []int{staff}, "chown 2002 "+shared+"/pub.txt"); err == nil {
				t.Fatalf("alice gave a file away: %s", out)
			}
			if out, err := shAs(alice, []int{staff}, "chgrp 3000 "+shared+"/pub.txt"); err != nil {
				t.Fatalf("alice chgrp to her group: %v %s", err, out)
			}
			// root: chmod, chown, touch -d survive a remount.
			f := m.path("owned")
			mustWrite(t, f, "x")
			if err := os.Chown(f, 4242, 4343); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(f, os.ModeSetuid|0o751); err != nil {
				t.Fatal(err)
			}
			mt := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
			if err := os.Chtimes(f, mt, mt); err != nil {
				t.Fatal(err)
			}
			m.remount()
			uid, gid, mode = ownerOf(t, f)
			st, _ := os.Stat(f)
			if uid != 4242 || gid != 4343 || mode&os.ModeSetuid == 0 || mode.Perm() != 0o751 || !st.ModTime().Equal(mt) {
				t.Fatalf("after remount: uid %d gid %d mode %v mtime %v", uid, gid, mode, st.ModTime())
			}
			uid, gid, _ = ownerOf(t, filepath.Join(shared, "pub.txt"))
			if uid != alice || gid != staff {
				t.Fatalf("pub.txt after remount: %d:%d", uid, gid)
			}
			if _, _, mode := ownerOf(t, shared); mode&os.ModeSticky == 0 {
				t.Fatalf("sticky bit lost: %v", mode)
			}
			if out, err := shAs(bob, nil, "cat "+shared+"/a.txt"); err == nil {
				t.Fatalf("bob read a 0600 file after remount: %s", out)
			}
		})
	}
}

func TestS3fsStyleMetadataIsShown(t *testing.T) {
	forEachTarget(t, func(t *testing.T, m *mnt) {
		_, err := m.Store.Put(context.Background(), "from-s3fs", strings.NewReader("x"), storage.PutOptions{
			Metadata: map[string]string{"mode": "33256", "uid": "1234", "gid": "5678", "mtime": "1234567890"}})
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(1100 * time.Millisecond)
		uid, gid, mode := ownerOf(t, m.path("from-s3fs"))
		st, _ := os.Stat(m.path("from-s3fs"))
		if uid != 1234 || gid != 5678 || mode.Perm() != 0o750 || st.ModTime().Unix() != 1234567890 {
			t.Fatalf("uid %d gid %d mode %v mtime %v", uid, gid, mode, st.ModTime())
		}
	})
}

func TestRsyncAndTarKeepAttributes(t *testing.T) {
	if _, err := exec.LookPath("rsync"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("rsync is not installed (scripts/testservers.sh ensure installs it)")
		}
		t.Skip("rsync not installed")
	}
	forEachTarget(t, func(t *testing.T, m *mnt) {
		src := filepath.Join(t.TempDir(), "src")
		os.MkdirAll(filepath.Join(src, "sub"), 0o750)
		files := map[string]os.FileMode{"a": 0o640, "sub/b": 0o755, "sub/c": 0o600}
		mt := time.Date(2010, 5, 6, 7, 8, 9, 0, time.UTC)
		for name, mode := range files {
			p := filepath.Join(src, name)
			mustWrite(t, p, "content of "+name)
			os.Chmod(p, mode)
			os.Chown(p, 1500, 1600)
			os.Chtimes(p, mt, mt)
		}
		run(t, "", "rsync", "-a", src+"/", m.path("rs")+"/")
		run(t, "", "tar", "-C", src, "-cpf", filepath.Join(t.TempDir(), "x.tar"), ".")
		m.remount()
		back := filepath.Join(t.TempDir(), "back")
		run(t, "", "rsync", "-a", m.path("rs")+"/", back+"/")
		for name, mode := range files {
			uid, gid, got := ownerOf(t, filepath.Join(back, name))
			st, _ := os.Stat(filepath.Join(back, name))
			if uid != 1500 || gid != 1600 || got.Perm() != mode || !st.ModTime().Equal(mt) {
				t.Errorf("rsync round trip %s: %d:%d %v %v", name, uid, gid, got, st.ModTime())
			}
		}
		// tar -p out of the mount keeps them too.
		tarball := filepath.Join(t.TempDir(), "out.tar")
		run(t, m.path("rs"), "tar", "-cpf", tarball, ".")
		ex := filepath.Join(t.TempDir(), "ex")
		os.Mkdir(ex, 0o755)
		run(t, ex, "tar", "-xpf", tarball, "--same-owner")
		for name, mode := range files {
			uid, gid, got := ownerOf(t, filepath.Join(ex, name))
			if uid != 1500 || gid != 1600 || got.Perm() != mode {
				t.Errorf("tar round trip %s: %d:%d %v", name, uid, gid, got)
			}
		}
	})
}
