package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/a9de3765/cloudfuse/internal/health"
	"github.com/a9de3765/cloudfuse/internal/mounttab"
)

// mountTable lists the cloudfuse mounts of this machine. Windows keeps no
// mount table a program can read, so it is the record every daemon keeps
// in the runtime directory while it serves its mount (runtime.go); a
// record whose daemon has exited is a stale mount.
func (a *app) mountTable() ([]mounttab.Entry, error) {
	ents, err := os.ReadDir(a.runtimeDir())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the mount records in %s: %w", a.runtimeDir(), err)
	}
	var out []mounttab.Entry
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(a.runtimeDir(), e.Name()))
		if err != nil {
			continue
		}
		if st, ok := parseState(data); ok {
			out = append(out, mounttab.Entry{Point: st.Mountpoint, FSType: mounttab.FSType, Source: st.Source})
		}
	}
	return out, nil
}

// unmountPath asks the daemon serving path to unmount it: WinFsp has no
// unmount command of its own. A daemon that is gone leaves nothing to
// unmount.
func (a *app) unmountPath(path string, lazy bool) error {
	st, ok := a.readState(path)
	if !ok || !st.alive() {
		return nil
	}
	if lazy {
		return errors.New("--lazy: a mount cannot be detached on Windows; close the files open in it")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := health.Unmount(ctx, st.Socket)
	if errors.Is(err, health.ErrBusy) {
		return errBusy
	}
	return err
}
