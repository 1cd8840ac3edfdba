package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/windows"

	"github.com/a9de3765/cloudfuse/internal/config"
)

// passNotify hands w to the daemon cmd starts, detached from the caller's
// console, and returns the handle number the daemon finds it at.
func passNotify(cmd *exec.Cmd, w *os.File) int {
	cmd.SysProcAttr = &syscall.SysProcAttr{
		CreationFlags:              windows.DETACHED_PROCESS | windows.CREATE_NEW_PROCESS_GROUP,
		AdditionalInheritedHandles: []syscall.Handle{syscall.Handle(w.Fd())},
	}
	return int(w.Fd())
}

// processExists says whether process pid still runs.
func processExists(pid int) bool {
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(pid))
	if err != nil {
		return false
	}
	defer windows.CloseHandle(h)
	var code uint32
	if err := windows.GetExitCodeProcess(h, &code); err != nil {
		return false
	}
	const stillActive = 259
	return code == stillActive
}

// isConsole says whether f is a console.
func isConsole(f *os.File) bool {
	var mode uint32
	return windows.GetConsoleMode(windows.Handle(f.Fd()), &mode) == nil
}

// defaultWorkDir is the working directory for the log and cache:
// %LOCALAPPDATA%\cloudfuse, else ~/.cloudfuse.
func defaultWorkDir() string {
	if d := os.Getenv("LOCALAPPDATA"); d != "" {
		return filepath.Join(d, "cloudfuse")
	}
	return config.ExpandPath("~/.cloudfuse")
}

// defaultRuntimeDir is where daemons record themselves: run under the
// working directory.
func defaultRuntimeDir() string { return filepath.Join(defaultWorkDir(), "run") }

// desktopOpener opens a URL or folder in the program Windows has for it.
func desktopOpener(func(string) string) func(string) error {
	return func(target string) error { return startDetached(exec.Command("cmd", "/c", "start", "", target)) }
}
