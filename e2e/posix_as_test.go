//go:build linux

package e2e

import (
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// posixCred is an identity a POSIX check acts as: uid, primary gid,
// supplementary groups and the umask of the calling thread.
type posixCred struct {
	uid, gid int
	groups   []int
	umask    int
}

func (c posixCred) String() string {
	if len(c.groups) == 0 {
		return fmt.Sprintf("uid %d gid %d", c.uid, c.gid)
	}
	return fmt.Sprintf("uid %d gid %d groups %v", c.uid, c.gid, c.groups)
}

// withUmask returns c acting with umask u.
func (c posixCred) withUmask(u int) posixCred { c.umask = u; return c }

// Identities the checks use. The test process runs as root; the mount
// daemon runs in its own process, so these never serve FUSE requests.
var (
	rootC       = posixCred{uid: 0, gid: 0, umask: 0o022}
	aliceC      = posixCred{uid: alice, gid: alice, umask: 0o022}
	aliceStaffC = posixCred{uid: alice, gid: alice, groups: []int{staff}, umask: 0o022}
	bobC        = posixCred{uid: bob, gid: bob, umask: 0o022}
	bobStaffC   = posixCred{uid: bob, gid: bob, groups: []int{staff}, umask: 0o022}
)

// posixAs runs fn on a fresh OS thread that carries the identity c, and
// returns its error.
//
// Linux keeps credentials, and (after unshare(CLONE_FS)) the umask and
// working directory, per thread. The raw setresuid/setresgid/setgroups
// system calls change only the calling thread (the Go syscall package's
// wrappers would change every thread of the process). The goroutine locks
// its thread and never unlocks it, so when fn returns the runtime ends the
// thread instead of reusing it; and the runtime never clones new threads
// from a locked one. So nothing else ever runs with c, and fn's system
// calls reach the kernel, and through it the mount, as c.
//
// fn must make its system calls itself (golang.org/x/sys/unix), not hand
// them to other goroutines.
func posixAs(c posixCred, fn func() error) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		// No UnlockOSThread: the thread must die with this goroutine.
		done <- func() (err error) {
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("panic as %v: %v", c, r)
				}
			}()
			if err := posixBecome(c); err != nil {
				return fmt.Errorf("become %v: %w", c, err)
			}
			return fn()
		}()
	}()
	return <-done
}

// posixBecome gives the calling (locked) thread the identity c.
func posixBecome(c posixCred) error {
	if err := unix.Unshare(unix.CLONE_FS); err != nil {
		return fmt.Errorf("unshare CLONE_FS: %w", err)
	}
	unix.Umask(c.umask)
	gs := make([]uint32, len(c.groups))
	for i, g := range c.groups {
		gs[i] = uint32(g)
	}
	var p unsafe.Pointer
	if len(gs) > 0 {
		p = unsafe.Pointer(&gs[0])
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETGROUPS, uintptr(len(gs)), uintptr(p), 0); e != 0 {
		return fmt.Errorf("setgroups: %w", e)
	}
	runtime.KeepAlive(gs)
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESGID, uintptr(c.gid), uintptr(c.gid), uintptr(c.gid)); e != 0 {
		return fmt.Errorf("setresgid: %w", e)
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESUID, uintptr(c.uid), uintptr(c.uid), uintptr(c.uid)); e != 0 {
		return fmt.Errorf("setresuid: %w", e)
	}
	return nil
}
