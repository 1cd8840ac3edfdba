package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/a9de3765/cloudfuse/internal/config"
	"github.com/a9de3765/cloudfuse/internal/mounttab"
)

// The background protocol: the parent starts itself again with
// --foreground --notify-fd=3 and a pipe as file descriptor 3. The child
// writes one line on it, "mounted" once the kernel has the mount or
// "error <message>" when it gives up, and closes it.
const (
	notifyMounted = "mounted"
	notifyError   = "error "
)

// notifier is the child's end of the pipe.
type notifier struct{ f *os.File }

func (n *notifier) ready() {
	fmt.Fprintln(n.f, notifyMounted)
	n.f.Close()
}

func (n *notifier) fail(err error) {
	fmt.Fprintln(n.f, notifyError+oneLine(err.Error()))
	n.f.Close()
}

// background starts the mount in a detached child and waits up to
// wait-for-mount for it to report. It returns nil once the child has
// mounted, or the child's error. The child gets the same command line,
// except that a passphrase moves from the command line (which every user
// can read in ps), or from the pipe this process read it from, to the
// child's environment.
func (a *app) background(ctx context.Context, cfg *config.Config, mnt string, m mountArgs) error {
	args, pass := stripFlag(a.args, "passphrase")
	args, _ = stripFlag(args, "passphrase-pipe") // read once, by this process
	if m.passphrase != "" {
		pass = m.passphrase
	}
	var env []string
	if pass != "" {
		env = append(env, config.PassphraseEnv+"="+pass)
	}
	return a.spawn(ctx, cfg, mnt, args, env)
}

// spawn starts `cloudfuse <args> --foreground --notify-fd=3` detached,
// with env added to this process's environment, and waits up to
// cfg.WaitForMount for it to report. cfg must describe the child's mount
// (its log destination is where the child's output goes).
func (a *app) spawn(ctx context.Context, cfg *config.Config, mnt string, args, env []string) error {
	exe, err := a.executable()
	if err != nil {
		return fmt.Errorf("cannot find the cloudfuse executable to start the daemon: %w", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()

	dest := logDestination(cfg, false)
	out, err := childOutput(dest)
	if err != nil {
		w.Close()
		return err
	}
	defer out.Close()
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		w.Close()
		return err
	}
	defer devnull.Close()

	cmd := exec.Command(exe)
	fd := passNotify(cmd, w)
	cmd.Args = append(append([]string{exe}, args...), "--foreground", fmt.Sprintf("--notify-fd=%d", fd))
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, out, out
	if err := cmd.Start(); err != nil {
		w.Close()
		return fmt.Errorf("starting the daemon: %w", err)
	}
	w.Close()

	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	line, err := readReport(r, cfg.WaitForMount)
	switch {
	case line == notifyMounted:
		return nil
	case strings.HasPrefix(line, notifyError):
		waitExit(exited, 5*time.Second)
		return errors.New(strings.TrimPrefix(line, notifyError))
	case errors.Is(err, os.ErrDeadlineExceeded):
		_ = cmd.Process.Kill()
		<-exited
		a.cleanupAfterKill(mnt)
		return fmt.Errorf("the mount did not come up within %s (raise --wait-for-mount); %s", cfg.WaitForMount, seeLog(dest))
	default:
		werr := waitExit(exited, 5*time.Second)
		if werr == nil {
			werr = errors.New("no report")
		}
		return fmt.Errorf("the daemon stopped before mounting (%v); %s", werr, seeLog(dest))
	}
}

// readReport reads the child's one-line report, waiting at most wait.
func readReport(r *os.File, wait time.Duration) (string, error) {
	if err := r.SetReadDeadline(time.Now().Add(wait)); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(r).ReadString('\n')
	return strings.TrimRight(line, "\n"), err
}

func waitExit(exited <-chan error, d time.Duration) error {
	select {
	case err := <-exited:
		return err
	case <-time.After(d):
		return errors.New("still running")
	}
}

// cleanupAfterKill detaches a mount the killed child may have left.
func (a *app) cleanupAfterKill(mnt string) {
	entries, err := a.mountTable()
	if err != nil {
		return
	}
	if e, ok := mounttab.Find(entries, mnt); ok && e.Ours() {
		_ = a.unmountPath(mnt, true)
	}
}

// childOutput is where the child's stdout and stderr go: the log file when
// logging to a file (so a crash leaves its trace there), else /dev/null.
func childOutput(dest logDest) (io.WriteCloser, error) {
	if dest.kind == "file" {
		return openLogFile(dest.path)
	}
	return os.OpenFile(os.DevNull, os.O_WRONLY, 0)
}

func seeLog(dest logDest) string {
	switch dest.kind {
	case "file":
		return "see the log " + dest.path
	case "syslog":
		return "see the system log"
	default:
		return "run with --foreground to see why"
	}
}

// stripFlag removes every --name=value and --name value from args and
// returns the last value removed. Arguments after "--" are kept as they
// are.
func stripFlag(args []string, name string) ([]string, string) {
	var out []string
	val := ""
	for i := 0; i < len(args); i++ {
		arg := args[i]
		switch {
		case arg == "--":
			return append(out, args[i:]...), val
		case arg == "--"+name && i+1 < len(args):
			val = args[i+1]
			i++
		case strings.HasPrefix(arg, "--"+name+"="):
			val = strings.TrimPrefix(arg, "--"+name+"=")
		default:
			out = append(out, arg)
		}
	}
	return out, val
}
