package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/a9de3765/cloudfuse/internal/atomicfile"
)

// runtimeDirEnv overrides where running daemons record themselves.
const runtimeDirEnv = "CLOUDFUSE_RUNTIME_DIR"

// mountState is what a daemon records about its mount while it runs, so
// `mount list`, `health` and `unmount` can find it. It lives in the
// runtime directory as <id>.json next to the health socket <id>.sock,
// where id is derived from the mount path.
type mountState struct {
	Mountpoint  string    `json:"mountpoint"`
	Source      string    `json:"source"`
	Store       string    `json:"store"`
	Config      string    `json:"config"`
	PID         int       `json:"pid"`
	PIDStart    string    `json:"pid_start"` // the process's start time, to tell a reused PID
	Socket      string    `json:"socket"`
	MetricsAddr string    `json:"metrics_addr,omitempty"`
	Started     time.Time `json:"started"`
	Version     string    `json:"version"`
	// Log is where the daemon logs: a file path, or "syslog", "stderr"
	// or "none".
	Log string `json:"log,omitempty"`
}

// runtimeDir is $CLOUDFUSE_RUNTIME_DIR, else $XDG_RUNTIME_DIR/cloudfuse,
// else /run/cloudfuse for root and ~/.cloudfuse/run for other users.
func (a *app) runtimeDir() string {
	if d := a.getenv(runtimeDirEnv); d != "" {
		return d
	}
	if d := a.getenv("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, "cloudfuse")
	}
	return defaultRuntimeDir()
}

// stateID names the files of the mount at the absolute path mnt.
func stateID(mnt string) string {
	sum := sha256.Sum256([]byte(mnt))
	return hex.EncodeToString(sum[:8])
}

func (a *app) statePath(mnt string) string {
	return filepath.Join(a.runtimeDir(), stateID(mnt)+".json")
}

func (a *app) socketPath(mnt string) string {
	return filepath.Join(a.runtimeDir(), stateID(mnt)+".sock")
}

// prepareRuntimeDir creates the runtime directory, private to the user.
func (a *app) prepareRuntimeDir() error {
	dir := a.runtimeDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("runtime directory %s: %w", dir, unwrapPath(err))
	}
	return nil
}

// writeState records st atomically.
func (a *app) writeState(st mountState) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(a.statePath(st.Mountpoint), append(data, '\n'), 0o600)
}

// readState returns the record of the mount at mnt, if any.
func (a *app) readState(mnt string) (mountState, bool) {
	data, err := os.ReadFile(a.statePath(mnt))
	if err != nil {
		return mountState{}, false
	}
	st, ok := parseState(data)
	if !ok || st.Mountpoint != mnt {
		return mountState{}, false
	}
	return st, true
}

// parseState reads a mount record.
func parseState(data []byte) (mountState, bool) {
	var st mountState
	if json.Unmarshal(data, &st) != nil || st.Mountpoint == "" {
		return mountState{}, false
	}
	return st, true
}

// removeState deletes the record and socket of the mount at mnt.
func (a *app) removeState(mnt string) {
	for _, p := range []string{a.statePath(mnt), a.socketPath(mnt)} {
		_ = os.Remove(p)
	}
}

// alive says whether the daemon that wrote st still runs (a zombie that
// was not reaped yet does not).
func (st mountState) alive() bool {
	if st.PID <= 0 {
		return false
	}
	if !processExists(st.PID) {
		return false
	}
	state, start, err := procStat(st.PID)
	if err != nil {
		return true // no /proc: trust kill(2)
	}
	return state != "Z" && state != "X" && (st.PIDStart == "" || start == st.PIDStart)
}

// procStartTime returns the start time of process pid, in clock ticks
// after boot.
func procStartTime(pid int) (string, error) {
	_, start, err := procStat(pid)
	return start, err
}

// procStat returns fields 3 (state) and 22 (start time) of
// /proc/<pid>/stat.
func procStat(pid int) (state, start string, err error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", "", err
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return "", "", errors.New("unexpected /proc stat format")
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return "", "", errors.New("unexpected /proc stat format")
	}
	return f[0], f[19], nil // f[0] is field 3, so field 22 is f[19]
}
