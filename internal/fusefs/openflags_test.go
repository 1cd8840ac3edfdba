//go:build linux

package fusefs

import (
	"log/slog"
	"syscall"
	"testing"
)

func TestCheckOpenFlags(t *testing.T) {
	for _, c := range []struct {
		strict, writeback bool
		flags             uint32
		want              syscall.Errno
	}{
		{true, true, syscall.O_WRONLY, syscall.EINVAL},
		{true, true, syscall.O_RDWR | syscall.O_APPEND, syscall.EINVAL},
		{true, true, syscall.O_WRONLY | syscall.O_CREAT | syscall.O_TRUNC, syscall.EINVAL},
		{true, true, syscall.O_RDWR, 0},
		{true, true, syscall.O_RDONLY, 0},
		{true, false, syscall.O_WRONLY | syscall.O_APPEND, 0},  // no writeback cache
		{false, true, syscall.O_WRONLY | syscall.O_APPEND, 0},  // ignore-open-flags
		{false, false, syscall.O_WRONLY | syscall.O_APPEND, 0}, // both
	} {
		m := &mount{opts: Options{StrictOpenFlags: c.strict}, writeback: c.writeback, log: slog.New(slog.DiscardHandler)}
		if got := m.checkOpenFlags("open", "f", c.flags); got != c.want {
			t.Errorf("strict=%v writeback=%v flags=%s: %v, want %v", c.strict, c.writeback, decodeFlags(c.flags), got, c.want)
		}
	}
}

func TestWritebackFollowsOptions(t *testing.T) {
	if !writeback(Options{}) {
		t.Error("writeback cache off by default")
	}
	for _, o := range []Options{{DisableWritebackCache: true}, {ReadOnly: true}, {DirectIO: true}} {
		if writeback(o) {
			t.Errorf("writeback cache on with %+v", o)
		}
	}
}
