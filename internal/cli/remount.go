package cli

import (
	"fmt"
	"path/filepath"
)

// remountScope says when a persisted mount comes back: at boot (system),
// or when this user logs in (user).
type remountScope int

const (
	remountSystem remountScope = iota
	remountUser
)

// when says when a mount of scope comes back.
func (s remountScope) when() string {
	if s == remountUser {
		return "login"
	}
	return "boot"
}

// remountEntry is one mount to bring back: Cloudfuse's
// --enable-remount-system and --enable-remount-user, `service mount`.
type remountEntry struct {
	MountPath  string
	ConfigFile string
	Secure     bool   // the config file is encrypted
	RunAs      string // --remount-system-user: who a system mount runs as (Linux)
}

// mountArgs is the command line that mounts e again.
func (e remountEntry) mountArgs() []string {
	args := []string{"mount", e.MountPath, "--config-file=" + e.ConfigFile}
	if e.Secure {
		args = append(args, "--secure-config")
	}
	return args
}

// newRemountEntry checks and completes an entry: both paths absolute.
func newRemountEntry(mnt, configFile string, secure bool, runAs string) (remountEntry, error) {
	if configFile == "" {
		return remountEntry{}, usageError{fmt.Errorf("a mount brought back at boot or login needs --config-file")}
	}
	cf, err := filepath.Abs(configFile)
	if err != nil {
		return remountEntry{}, err
	}
	m, err := filepath.Abs(mnt)
	if err != nil {
		return remountEntry{}, err
	}
	return remountEntry{MountPath: m, ConfigFile: cf, Secure: secure || filepath.Ext(cf) == secureExt, RunAs: runAs}, nil
}
