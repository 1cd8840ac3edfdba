package cli

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/a9de3765/cloudfuse/internal/boot"
	"github.com/a9de3765/cloudfuse/internal/config"
)

// unitDirEnv puts the systemd units cloudfuse writes in another directory
// (an image being built, a test).
const unitDirEnv = "CLOUDFUSE_SYSTEMD_DIR"

// systemdFor says where units of scope go and how to run systemctl for
// them; systemctl is nil when systemd does not run here.
func systemdFor(getenv func(string) string, user bool) (string, func(ctx context.Context, args ...string) error) {
	dir := "/etc/systemd/system"
	if user {
		dir = filepath.Join(config.ExpandPath("~/.config"), "systemd", "user")
		if x := getenv("XDG_CONFIG_HOME"); x != "" {
			dir = filepath.Join(x, "systemd", "user")
		}
	}
	if d := getenv(unitDirEnv); d != "" {
		return d, nil
	}
	if _, err := os.Stat("/run/systemd/system"); err != nil {
		return dir, nil
	}
	prog, err := exec.LookPath("systemctl")
	if err != nil {
		return dir, nil
	}
	return dir, func(ctx context.Context, args ...string) error {
		if user {
			args = append([]string{"--user"}, args...)
		}
		out, err := exec.CommandContext(ctx, prog, args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("systemctl %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
		}
		return nil
	}
}

// enableRemount writes the systemd unit that mounts e at boot (system) or
// at the user's login (user), and enables it where systemd runs.
func (a *app) enableRemount(scope remountScope, e remountEntry, passphrase string) (string, error) {
	exe, err := a.executable()
	if err != nil {
		return "", err
	}
	dir, systemctl := systemdFor(a.getenv, scope == remountUser)
	u := boot.Unit{Exe: exe, MountPath: e.MountPath, ConfigFile: e.ConfigFile, Secure: e.Secure,
		User: scope == remountUser, RunAs: e.RunAs}
	path, err := boot.Install(dir, u, passphrase)
	if err != nil {
		return "", fmt.Errorf("remount at %s: %w", scope.when(), err)
	}
	if systemctl == nil {
		return fmt.Sprintf("wrote %s; systemd does not run here: enable it with systemctl enable %s", path, u.Name()), nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := systemctl(ctx, "daemon-reload"); err != nil {
		return "", err
	}
	if err := systemctl(ctx, "enable", u.Name()); err != nil {
		return "", err
	}
	return fmt.Sprintf("wrote and enabled %s", path), nil
}

// disableRemount removes the unit of the mount at mnt.
func (a *app) disableRemount(scope remountScope, mnt string) (string, error) {
	abs, err := filepath.Abs(mnt)
	if err != nil {
		return "", err
	}
	dir, systemctl := systemdFor(a.getenv, scope == remountUser)
	u := boot.Unit{MountPath: abs, User: scope == remountUser}
	if _, err := os.Stat(filepath.Join(dir, u.Name())); os.IsNotExist(err) {
		return fmt.Sprintf("%s was not set to mount at %s", abs, scope.when()), nil
	}
	if systemctl != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := systemctl(ctx, "disable", u.Name()); err != nil {
			return "", err
		}
	}
	if err := boot.Remove(dir, u); err != nil {
		return "", err
	}
	return fmt.Sprintf("removed %s", filepath.Join(dir, u.Name())), nil
}
