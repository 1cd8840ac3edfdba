//go:build linux

package fusefs

import (
	"fmt"
	"log/slog"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// kernelReadAhead is how far the kernel reads ahead of a sequential reader
// of the mount. The kernel starts every FUSE mount at 128 KiB whatever the
// daemon asks for; at that size a stream is a chain of small requests, each
// waiting for the last, and the daemon spends more CPU per byte. 4 MiB keeps
// four 1 MiB requests in flight and costs nothing for random reads, which
// the kernel does not read ahead for.
const kernelReadAhead = 4 << 20

// raiseReadAhead sets the read-ahead of the mount at mountpoint through its
// backing device in sysfs. It needs root; without it the kernel default
// stays, which is correct, only slower, so a failure is logged at debug.
func raiseReadAhead(mountpoint string, bytes int, log *slog.Logger) {
	var st unix.Stat_t
	if err := unix.Stat(mountpoint, &st); err != nil {
		log.Debug("read-ahead unchanged", "err", err)
		return
	}
	dev := uint64(st.Dev)
	p := fmt.Sprintf("/sys/class/bdi/%d:%d/read_ahead_kb", unix.Major(dev), unix.Minor(dev))
	if err := os.WriteFile(p, []byte(strconv.Itoa(bytes>>10)), 0); err != nil {
		log.Debug("read-ahead unchanged", "file", p, "err", err)
		return
	}
	log.Debug("read-ahead set", "file", p, "kib", bytes>>10)
}
