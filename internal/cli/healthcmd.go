package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/a9de3765/cloudfuse/internal/health"
	"github.com/a9de3765/cloudfuse/internal/mounttab"
)

func (a *app) healthCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "health <path>",
		Short: "Show what a running mount is doing: operations, store requests, handles, cache, CPU, memory",
		Long: "Ask the daemon of the cloudfuse mount at path for its counters and print a summary:\n" +
			"every filesystem operation and store request since the mount started (count, errors,\n" +
			"bytes, latency), open file handles, the file cache on disk, and the daemon's CPU time\n" +
			"and memory. --format=json prints everything, including the latency histograms;\n" +
			"--format=prometheus prints the Prometheus text the metrics port serves.",
		Example: "  cloudfuse health ~/bucket\n  cloudfuse health ~/bucket --format=json",
		Args:    usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.health(cmd, args[0], format)
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "text, json or prometheus")
	return cmd
}

func (a *app) health(cmd *cobra.Command, path, format string) error {
	switch format {
	case "text", "json", "prometheus":
	default:
		return usageError{fmt.Errorf("--format: expected text, json or prometheus, got %q", format)}
	}
	mnt, st, err := a.daemonOf(path)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), 10*time.Second)
	defer cancel()
	snap, err := health.Fetch(ctx, st.Socket)
	if err != nil {
		return fmt.Errorf("%s: asking the daemon (pid %d) at %s: %v", mnt, st.PID, st.Socket, err)
	}
	if st.MetricsAddr != "" && format == "text" {
		defer fmt.Fprintf(cmd.OutOrStdout(), "\nmetrics  http://%s/metrics\n", st.MetricsAddr)
	}
	out := cmd.OutOrStdout()
	switch format {
	case "json":
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(snap)
	case "prometheus":
		return health.WritePrometheus(out, snap)
	}
	return health.WriteSummary(out, snap)
}

// daemonOf finds the cloudfuse mount at path and the record of its live
// daemon (its health socket).
func (a *app) daemonOf(path string) (string, mountState, error) {
	mnt, err := a.findOurMount(path)
	if err != nil {
		return "", mountState{}, err
	}
	st, ok := a.readState(mnt)
	switch {
	case ok && !st.alive():
		return "", st, fmt.Errorf("%s is a stale mount: its daemon (pid %d) has exited; run: cloudfuse unmount %s", mnt, st.PID, mnt)
	case !ok || st.Socket == "":
		if isStale(mnt) {
			return "", st, fmt.Errorf("%s is a stale mount: its daemon has exited; run: cloudfuse unmount %s", mnt, mnt)
		}
		return "", st, fmt.Errorf("%s: no health record in %s (was it mounted with another runtime directory, or by an older cloudfuse?)", mnt, a.runtimeDir())
	}
	return mnt, st, nil
}

// findOurMount resolves path to the mount point of a cloudfuse mount.
// The path is looked up in the mount table before any symlink is
// resolved, so a hung or dead daemon is never asked about its own root.
func (a *app) findOurMount(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	entries, err := a.mountTable()
	if err != nil {
		return "", err
	}
	e, ok := mounttab.Find(entries, abs)
	if !ok {
		if real, err := filepath.EvalSymlinks(abs); err == nil && real != abs {
			abs = real
			e, ok = mounttab.Find(entries, abs)
		}
	}
	switch {
	case !ok:
		return "", fmt.Errorf("%s is not mounted", abs)
	case !e.Ours():
		return "", fmt.Errorf("%s is not a cloudfuse mount (it is %s)", abs, e.FSType)
	}
	return abs, nil
}

// isStale says whether the mount at mnt has lost its daemon: the kernel
// answers ENOTCONN.
func isStale(mnt string) bool {
	_, err := os.Stat(mnt)
	return errors.Is(err, syscall.ENOTCONN)
}
