package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/a9de3765/cloudfuse/internal/health"
)

func (a *app) preloadCmd() *cobra.Command {
	var workers int
	var detach bool
	cmd := &cobra.Command{
		Use:   "preload <mount path> [directory]",
		Short: "Download every file of a mount, or of one directory in it, into the file cache",
		Long: "Ask the daemon of the cloudfuse mount at <mount path> to download every file under\n" +
			"directory (default: the whole mount) into its file cache, several files at once, in the\n" +
			"background. Files already cached at their current version are skipped; a file opened\n" +
			"before its turn is fetched at once. The preload stops, keeping what it loaded, when the\n" +
			"cache would pass file_cache.max-size-mb or the disk's high threshold.\n\n" +
			"The command shows the progress (files, bytes, rate, time left) until the preload ends;\n" +
			"--detach returns at once. Interrupting the command does not stop the preload: unmount\n" +
			"does. `cloudfuse health` shows the progress too. Mounting with --preload preloads the\n" +
			"whole mount.",
		Example: "  cloudfuse preload ~/bucket\n  cloudfuse preload ~/bucket datasets/imagenet --workers=32",
		Args:    usageArgs(cobra.RangeArgs(1, 2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := ""
			if len(args) == 2 {
				dir = args[1]
			}
			return a.preload(cmd, args[0], dir, workers, detach)
		},
	}
	cmd.Flags().IntVar(&workers, "workers", 0, "files downloaded at once (default: the store's concurrency)")
	cmd.Flags().BoolVar(&detach, "detach", false, "start the preload and return without waiting")
	return cmd
}

func (a *app) preload(cmd *cobra.Command, path, dir string, workers int, detach bool) error {
	if workers < 0 {
		return usageError{fmt.Errorf("--workers: expected a positive number, got %d", workers)}
	}
	mnt, st, err := a.daemonOf(path)
	if err != nil {
		return err
	}
	rel, err := mountRelative(mnt, dir)
	if err != nil {
		return usageError{err}
	}
	ctx := cmd.Context()
	start, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := health.StartPreload(start, st.Socket, health.PreloadRequest{Dir: rel, Workers: workers}); err != nil {
		return fmt.Errorf("%s: %v", mnt, err)
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "preloading %s into the file cache of %s\n", "/"+rel, mnt)
	if detach {
		fmt.Fprintf(out, "follow it with: cloudfuse health %s\n", mnt)
		return nil
	}
	return watchPreload(ctx, out, st.Socket, isTerminal(out))
}

// mountRelative turns dir (relative to the mount, or a path inside it)
// into a path relative to the mount root.
func mountRelative(mnt, dir string) (string, error) {
	if dir == "" {
		return "", nil
	}
	if filepath.IsAbs(dir) {
		rel, err := filepath.Rel(mnt, filepath.Clean(dir))
		if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
			return "", fmt.Errorf("%s is not inside the mount %s", dir, mnt)
		}
		dir = rel
	}
	dir = filepath.ToSlash(filepath.Clean(dir))
	if dir == "." {
		return "", nil
	}
	if dir == ".." || strings.HasPrefix(dir, "../") {
		return "", fmt.Errorf("%s is not inside the mount %s", dir, mnt)
	}
	return dir, nil
}

// watchPreload shows the progress until the preload ends: a bar redrawn
// in place on a terminal, else a line every few seconds.
func watchPreload(ctx context.Context, out io.Writer, socket string, tty bool) error {
	every := 5 * time.Second
	if tty {
		every = 500 * time.Millisecond
	}
	last := time.Time{}
	for {
		q, cancel := context.WithTimeout(ctx, 10*time.Second)
		snap, err := health.Fetch(q, socket)
		cancel()
		if err != nil {
			return fmt.Errorf("asking the daemon for the progress: %v", err)
		}
		p := snap.Preload
		if p == nil {
			return fmt.Errorf("the daemon reports no preload")
		}
		done := !p.Running
		switch {
		case tty:
			fmt.Fprintf(out, "\r\033[K%s %s", progressBar(*p, 30), p.Line())
			if done {
				fmt.Fprintln(out)
			}
		case done || time.Since(last) >= every:
			fmt.Fprintln(out, p.Line())
			last = time.Now()
		}
		if done {
			if p.Error != "" {
				return fmt.Errorf("preload stopped: %s", p.Error)
			}
			fmt.Fprintf(out, "preload finished in %s\n", p.Ended.Sub(p.Started).Round(100*time.Millisecond))
			return nil
		}
		select {
		case <-ctx.Done():
			fmt.Fprintln(out, "\nstopped watching; the preload goes on in the daemon")
			return nil
		case <-time.After(min(every, 500*time.Millisecond)):
		}
	}
}

// progressBar draws [####    ] for the bytes done.
func progressBar(p health.Preload, width int) string {
	n := 0
	if p.Bytes > 0 {
		n = int(int64(width) * p.BytesDone / p.Bytes)
	}
	if !p.Running && p.Error == "" {
		n = width
	}
	n = min(max(n, 0), width)
	return "[" + strings.Repeat("#", n) + strings.Repeat(" ", width-n) + "]"
}

// isTerminal says whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	return isConsole(f)
}
