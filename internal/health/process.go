package health

import (
	"os"
	"runtime"
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
	p.CPUSeconds, p.RSSBytes, p.Threads = processUse()
	return p
}
