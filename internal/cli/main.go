// Package cli is the cloudfuse command line: it parses commands and flags,
// reads the configuration, and builds the object graph of a mount
// (config -> store -> optional subdirectory prefix -> vfs -> fusefs). It is
// the only package that touches flags or process-wide state such as signals.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/a9de3765/cloudfuse/internal/config"
)

// Exit codes of Main.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2 // bad command line
)

// app carries what the commands need from the outside world, so tests can
// run them without touching the real process.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	args           []string // command-line arguments, for re-executing in the background
	getenv         func(string) string
	executable     func() (string, error)
	mountinfo      string           // path of the mount table, /proc/self/mountinfo
	kdf            config.KDFParams // key derivation costs for encrypting config files
}

// Main runs the cloudfuse command line with args (without the program
// name) and returns the process exit code. Every error is reported as one
// line "cloudfuse: <message>" on stderr. Started as mount.fuse.cloudfuse,
// or with a mount helper's arguments, it mounts as mount(8) asks.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{
		stdin:      stdin,
		stdout:     stdout,
		stderr:     stderr,
		args:       args,
		getenv:     os.Getenv,
		executable: os.Executable,
		mountinfo:  "/proc/self/mountinfo",
		kdf:        config.DefaultKDF(),
	}
	prog := ""
	if len(os.Args) > 0 {
		prog = filepath.Base(os.Args[0])
	}
	if asHelper(prog, args, a.commandNames()) {
		hargs, err := helperArgs(args)
		if err != nil {
			fmt.Fprintf(stderr, "cloudfuse: %s\n", oneLine(err.Error()))
			return exitUsage
		}
		a.args = hargs
	}
	return a.run(context.Background())
}

// commandNames lists the top-level commands, and help.
func (a *app) commandNames() []string {
	names := []string{"help"}
	for _, c := range a.rootCmd().Commands() {
		names = append(names, c.Name())
	}
	return names
}

func (a *app) run(ctx context.Context) int {
	root := a.rootCmd()
	root.SetArgs(a.args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(a.stderr, "cloudfuse: %s\n", oneLine(err.Error()))
	if isUsage(err) {
		return exitUsage
	}
	return exitError
}

func (a *app) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "cloudfuse",
		Short: "Mount an S3 bucket or an Azure Blob container as a local filesystem",
		Long: "cloudfuse mounts an S3 bucket or an Azure Blob container as a local filesystem.\n" +
			"It reads Cloudfuse/BlobFuse2 configuration files (see setup/baseConfig.yaml).",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.CompletionOptions.DisableDefaultCmd = true
	root.PersistentFlags().Bool("disable-version-check", false,
		"accepted for compatibility; cloudfuse never checks for new versions")
	root.AddCommand(a.versionCmd(), a.mountCmd(), a.unmountCmd(), a.secureCmd(),
		a.healthCmd(), a.preloadCmd(), a.csiCmd(), a.genConfigCmd(), a.uiCmd(), a.serviceCmd())
	return root
}

// usageError marks a bad command line (exit code 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func isUsage(err error) bool {
	var u usageError
	if errors.As(err, &u) {
		return true
	}
	// cobra reports an unknown subcommand itself.
	return strings.HasPrefix(err.Error(), "unknown command ")
}

// usageArgs marks argument-count errors as usage errors.
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return usageError{fmt.Errorf("%s: %w (see %s --help)", cmd.CommandPath(), err, cmd.CommandPath())}
		}
		return nil
	}
}

// oneLine folds a multi-line message into one line.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	lines := strings.Split(s, "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return strings.Join(lines, "; ")
}
