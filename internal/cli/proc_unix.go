//go:build unix

package cli

import (
	"errors"
	"os"
	"os/exec"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/a9de3765/cloudfuse/internal/config"
)

// childFD is where the daemon finds the notify pipe: the first of
// exec.Cmd.ExtraFiles.
const childFD = 3

// passNotify hands w to the daemon cmd starts, detached from the caller's
// session (no controlling terminal, no signals from the shell), and
// returns the descriptor the daemon finds it at.
func passNotify(cmd *exec.Cmd, w *os.File) int {
	cmd.ExtraFiles = []*os.File{w}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	return childFD
}

// processExists says whether process pid exists (maybe as a zombie).
func processExists(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// isConsole says whether f is a terminal.
func isConsole(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// defaultWorkDir is Cloudfuse's default working directory for the log and
// cache: ~/.cloudfuse.
func defaultWorkDir() string { return config.ExpandPath("~/.cloudfuse") }

// defaultRuntimeDir is where daemons record themselves: /run/cloudfuse
// for root, ~/.cloudfuse/run for other users.
func defaultRuntimeDir() string {
	if os.Geteuid() == 0 {
		return "/run/cloudfuse"
	}
	return config.ExpandPath("~/.cloudfuse/run")
}

// desktopOpener returns a function that opens a URL or folder with
// xdg-open, or nil when there is no desktop session to show it in.
func desktopOpener(getenv func(string) string) func(string) error {
	if getenv("DISPLAY") == "" && getenv("WAYLAND_DISPLAY") == "" {
		return nil
	}
	prog, err := exec.LookPath("xdg-open")
	if err != nil {
		return nil
	}
	return func(target string) error { return startDetached(exec.Command(prog, target)) }
}
