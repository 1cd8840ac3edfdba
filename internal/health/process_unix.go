//go:build unix

package health

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
	"time"
)

// processUse reads CPU time (getrusage), resident memory and threads
// (/proc where there is one).
func processUse() (cpu float64, rss int64, threads int) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		cpu = tvSeconds(ru.Utime) + tvSeconds(ru.Stime)
	}
	// statm: size resident shared text lib data dt, in pages.
	if data, err := os.ReadFile("/proc/self/statm"); err == nil {
		if f := bytes.Fields(data); len(f) > 1 {
			if n, err := strconv.ParseInt(string(f[1]), 10, 64); err == nil {
				rss = n * int64(os.Getpagesize())
			}
		}
	}
	if ents, err := os.ReadDir("/proc/self/task"); err == nil {
		threads = len(ents)
	}
	return cpu, rss, threads
}

func tvSeconds(tv syscall.Timeval) float64 {
	return (time.Duration(tv.Sec)*time.Second + time.Duration(tv.Usec)*time.Microsecond).Seconds()
}
