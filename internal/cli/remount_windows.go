package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"golang.org/x/sys/windows/registry"
)

// The mounts to bring back live in the registry, as in Cloudfuse: one
// subkey per mount under HKLM (at boot, mounted by the cloudfuse service)
// or HKCU (at this user's login) Software\cloudfuse\Mounts.
const remountKeyPath = `Software\cloudfuse\Mounts`

func remountRoot(scope remountScope) registry.Key {
	if scope == remountUser {
		return registry.CURRENT_USER
	}
	return registry.LOCAL_MACHINE
}

// enableRemount records e in scope's list. The passphrase of an encrypted
// config is not stored: the service reads it from its environment.
func (a *app) enableRemount(scope remountScope, e remountEntry, _ string) (string, error) {
	k, _, err := registry.CreateKey(remountRoot(scope), remountKeyPath+`\`+stateID(e.MountPath), registry.SET_VALUE)
	if err != nil {
		return "", fmt.Errorf("recording the mount in the registry: %w", err)
	}
	defer k.Close()
	secure := uint32(0)
	if e.Secure {
		secure = 1
	}
	for _, err := range []error{
		k.SetStringValue("MountPath", e.MountPath),
		k.SetStringValue("ConfigFile", e.ConfigFile),
		k.SetDWordValue("Secure", secure),
	} {
		if err != nil {
			return "", fmt.Errorf("recording the mount in the registry: %w", err)
		}
	}
	if scope == remountUser {
		if err := a.runAtLogin(); err != nil {
			return "", err
		}
		return fmt.Sprintf("%s mounts again at your next login", e.MountPath), nil
	}
	return fmt.Sprintf("%s mounts again at boot, while the cloudfuse service is installed (cloudfuse service install)", e.MountPath), nil
}

// disableRemount takes the mount at mnt off scope's list.
func (a *app) disableRemount(scope remountScope, mnt string) (string, error) {
	abs, err := filepath.Abs(mnt)
	if err != nil {
		return "", err
	}
	err = registry.DeleteKey(remountRoot(scope), remountKeyPath+`\`+stateID(abs))
	if errors.Is(err, registry.ErrNotExist) {
		return fmt.Sprintf("%s was not set to mount again", abs), nil
	}
	if err != nil {
		return "", fmt.Errorf("removing the mount from the registry: %w", err)
	}
	return fmt.Sprintf("%s no longer mounts again at %s", abs, scope.when()), nil
}

// remountEntries lists scope's mounts.
func remountEntries(scope remountScope) ([]remountEntry, error) {
	k, err := registry.OpenKey(remountRoot(scope), remountKeyPath, registry.ENUMERATE_SUB_KEYS)
	if errors.Is(err, registry.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer k.Close()
	names, err := k.ReadSubKeyNames(-1)
	if err != nil {
		return nil, err
	}
	var out []remountEntry
	for _, n := range names {
		sk, err := registry.OpenKey(k, n, registry.QUERY_VALUE)
		if err != nil {
			continue
		}
		var e remountEntry
		e.MountPath, _, _ = sk.GetStringValue("MountPath")
		e.ConfigFile, _, _ = sk.GetStringValue("ConfigFile")
		s, _, _ := sk.GetIntegerValue("Secure")
		e.Secure = s != 0
		sk.Close()
		if e.MountPath != "" && e.ConfigFile != "" {
			out = append(out, e)
		}
	}
	return out, nil
}

// runAtLogin makes Windows run `cloudfuse service remount-user` when this
// user logs in (HKCU\...\Run), which mounts the user's recorded mounts.
func (a *app) runAtLogin() error {
	exe, err := a.executable()
	if err != nil {
		return err
	}
	k, _, err := registry.CreateKey(registry.CURRENT_USER, `Software\Microsoft\Windows\CurrentVersion\Run`, registry.SET_VALUE)
	if err != nil {
		return fmt.Errorf("registering the mount at login: %w", err)
	}
	defer k.Close()
	return k.SetStringValue("cloudfuse", `"`+exe+`" service remount-user`)
}

// remountUserMounts mounts every mount this user recorded with
// --enable-remount-user; the login runs it.
func (a *app) remountUserMounts(ctx context.Context) error {
	entries, err := remountEntries(remountUser)
	if err != nil {
		return err
	}
	var failed []string
	for _, e := range entries {
		if err := a.runArgs(ctx, e.mountArgs(), a.stdout, a.stderr); err != nil {
			failed = append(failed, e.MountPath+": "+err.Error())
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d mounts failed: %s", len(failed), len(entries), strings.Join(failed, "; "))
	}
	return nil
}
