package cli

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

func (a *app) unmountCmd() *cobra.Command {
	var lazy, noSystem, noUser bool
	cmd := &cobra.Command{
		Use:   "unmount <path>",
		Short: "Unmount a cloudfuse mount",
		Long: "Unmount the cloudfuse mount at path with fusermount3 -u (as root, with umount(2) when\n" +
			"fusermount3 is missing or fails), then wait for the daemon to upload pending files and\n" +
			"exit. A mount with open files or a shell inside is refused, naming the processes, unless\n" +
			"--lazy: it is then detached at once and finishes when the last file closes. A mount\n" +
			"whose daemon has died (\"Transport endpoint is not connected\") is cleaned up.",
		Example: "  cloudfuse unmount ~/bucket\n  cloudfuse unmount ~/bucket --lazy\n  cloudfuse unmount all",
		Args:    usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, s := range []struct {
				on    bool
				scope remountScope
			}{{noSystem, remountSystem}, {noUser, remountUser}} {
				if !s.on {
					continue
				}
				msg, err := a.disableRemount(s.scope, args[0])
				if err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), msg)
			}
			return a.unmount(cmd, args[0], lazy)
		},
	}
	cmd.PersistentFlags().BoolVarP(&lazy, "lazy", "z", false, "detach now even if busy; finish when the last file is closed")
	cmd.Flags().BoolVar(&noSystem, "disable-remount-system", false, "also stop mounting this at boot (--enable-remount-system)")
	cmd.Flags().BoolVar(&noUser, "disable-remount-user", false, "also stop mounting this at login (--enable-remount-user)")
	all := &cobra.Command{
		Use:   "all",
		Short: "Unmount every cloudfuse mount",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.unmountAll(cmd, lazy)
		},
	}
	cmd.AddCommand(all)
	return cmd
}

// daemonExitWait bounds how long unmount waits for the daemon to finish
// pending uploads and exit.
const daemonExitWait = 2 * time.Minute

func (a *app) unmount(cmd *cobra.Command, path string, lazy bool) error {
	mnt, err := a.findOurMount(path)
	if err != nil {
		return err
	}
	st, hasState := a.readState(mnt)
	dead := hasState && !st.alive()
	if err := a.unmountPath(mnt, lazy); err != nil {
		if errors.Is(err, errBusy) {
			return fmt.Errorf("unmount %s: the mount is busy: %s; close them, or use --lazy", mnt, busyText(mnt))
		}
		return err
	}
	out := cmd.OutOrStdout()
	switch {
	case dead:
		a.removeState(mnt)
		fmt.Fprintf(out, "%s was a stale mount (its daemon, pid %d, had exited); unmounted\n", mnt, st.PID)
	case hasState && !lazy:
		deadline := time.Now().Add(daemonExitWait)
		for st.alive() && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if st.alive() {
			fmt.Fprintf(out, "unmounted %s; the daemon (pid %d) is still uploading pending files\n", mnt, st.PID)
		}
	}
	return nil
}

// unmountAll unmounts every cloudfuse mount in the mount table, going on
// past failures.
func (a *app) unmountAll(cmd *cobra.Command, lazy bool) error {
	entries, err := a.mountTable()
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	var points []string
	for _, e := range entries {
		if e.Ours() && !seen[e.Point] {
			seen[e.Point] = true
			points = append(points, e.Point)
		}
	}
	out := cmd.OutOrStdout()
	if len(points) == 0 {
		fmt.Fprintln(out, "no cloudfuse mounts")
		return nil
	}
	var failed []string
	// Deepest first, so a mount inside another comes off before it.
	for i := len(points) - 1; i >= 0; i-- {
		p := points[i]
		if err := a.unmount(cmd, p, lazy); err != nil {
			failed = append(failed, p)
			fmt.Fprintf(a.stderr, "cloudfuse: %s\n", oneLine(err.Error()))
			continue
		}
		fmt.Fprintf(out, "unmounted %s\n", p)
	}
	if len(failed) > 0 {
		return fmt.Errorf("unmount all: %d of %d mounts are still mounted: %s", len(failed), len(points), strings.Join(failed, ", "))
	}
	return nil
}

// errBusy marks an unmount refused because the mount is in use.
var errBusy = errors.New("busy")

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if strings.TrimSpace(x) != "" {
			return x
		}
	}
	return ""
}
