package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// windowsMount is a Windows mount path: a drive letter ("Z:") or a
// directory that WinFsp creates as the mount point.
type windowsMount struct {
	Drive string // "Z:", or "" for a directory
	Dir   string // the directory, when not a drive
}

// parseWindowsMount reads a Windows mount path: a drive letter, with or
// without a trailing backslash, in either case; anything else is a
// directory path. It is plain string work, so Linux tests it.
func parseWindowsMount(p string) (windowsMount, error) {
	p = strings.TrimSpace(p)
	if p == "" {
		return windowsMount{}, errors.New("empty mount path")
	}
	d := strings.TrimRight(p, `\/`)
	if len(d) == 2 && d[1] == ':' {
		c := d[0] | 0x20
		if c < 'a' || c > 'z' {
			return windowsMount{}, fmt.Errorf("mount path %s: not a drive letter", p)
		}
		return windowsMount{Drive: strings.ToUpper(d)}, nil
	}
	if strings.ContainsAny(strings.TrimPrefix(d, d[:min(2, len(d))]), `*?"<>|`) {
		return windowsMount{}, fmt.Errorf("mount path %s: Windows refuses * ? \" < > | in a path", p)
	}
	return windowsMount{Dir: d}, nil
}

// checkWindowsMountPath makes sure WinFsp can mount at path: a free drive
// letter, or a directory that does not exist yet in one that does
// (WinFsp creates the mount point).
func checkWindowsMountPath(path string) (string, error) {
	wm, err := parseWindowsMount(path)
	if err != nil {
		return "", err
	}
	if wm.Drive != "" {
		if _, err := os.Stat(wm.Drive + `\`); err == nil {
			return "", fmt.Errorf("drive %s is in use; give a free drive letter", wm.Drive)
		}
		return wm.Drive, nil
	}
	abs, err := filepath.Abs(wm.Dir)
	if err != nil {
		return "", fmt.Errorf("mount path %s: %w", path, err)
	}
	if _, err := os.Stat(abs); err == nil {
		return "", fmt.Errorf("mount path %s exists; WinFsp creates the directory it mounts on, so give one that does not exist yet", abs)
	}
	if st, err := os.Stat(filepath.Dir(abs)); err != nil || !st.IsDir() {
		return "", fmt.Errorf("mount path %s: its parent directory %s does not exist", abs, filepath.Dir(abs))
	}
	return abs, nil
}
