package health

import (
	"bytes"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"time"
)

// Process is the daemon's use of the machine.
type Process struct {
	PID        int     `json:"pid"`
	CPUSeconds float64 `json:"cpu_seconds"` // user + system time since start
	RSSBytes   int64   `json:"rss_bytes"`   // resident memory now
	Goroutines int     `json:"goroutines"`
	Threads    int     `json:"threads"`
}

// sampleProcess reads this process's CPU time, resident memory and thread
// count. Values it cannot read stay zero.
func sampleProcess() Process {
	p := Process{PID: os.Getpid(), Goroutines: runtime.NumGoroutine()}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		p.CPUSeconds = tvSeconds(ru.Utime) + tvSeconds(ru.Stime)
	}
	// statm: size resident shared text lib data dt, in pages.
	if data, err := os.ReadFile("/proc/self/statm"); err == nil {
		if f := bytes.Fields(data); len(f) > 1 {
			if n, err := strconv.ParseInt(string(f[1]), 10, 64); err == nil {
				p.RSSBytes = n * int64(os.Getpagesize())
			}
		}
	}
	if ents, err := os.ReadDir("/proc/self/task"); err == nil {
		p.Threads = len(ents)
	}
	return p
}

func tvSeconds(tv syscall.Timeval) float64 {
	return (time.Duration(tv.Sec)*time.Second + time.Duration(tv.Usec)*time.Microsecond).Seconds()
}
