// Command benchtool is the Go half of the benchmark harness (bench/run.sh):
// it seeds the fixtures through the S3 SDK, measures the raw-SDK baseline,
// runs the small-file workloads on a mounted directory, waits until writes
// are visible in the bucket, sums fio's JSON output and prints the table.
// docs/performance.md describes the workloads.
//
// The S3 server comes from the test server variables that
// scripts/testservers.sh exports: CLOUDFUSE_TEST_S3_ENDPOINT,
// CLOUDFUSE_TEST_S3_ACCESS_KEY, CLOUDFUSE_TEST_S3_SECRET_KEY and
// CLOUDFUSE_TEST_S3_REGION.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is one subcommand: it parses its own flags from args.
type command struct {
	summary string
	run     func(ctx context.Context, env environ, args []string, out io.Writer) error
}

// environ reads the process environment; tests pass their own.
type environ func(string) string

func commands() map[string]command {
	return map[string]command{
		"seed":        {"create the bucket and upload the fixtures (skips what is already there)", cmdSeed},
		"sdk":         {"run the raw-SDK baseline and print result rows", cmdSDK},
		"wait-object": {"wait until an object of a given size is visible", cmdWaitObject},
		"wait-count":  {"wait until a prefix holds a given number of objects", cmdWaitCount},
		"rm-prefix":   {"delete every object under a prefix", cmdRmPrefix},
		"fs":          {"run a small-file workload (create|read|stat|delete) on a directory", cmdFS},
		"fio-sum":     {"print the I/O count and bytes of a fio JSON report", cmdFioSum},
		"report":      {"print the results table from a results file", cmdReport},
		"seed-set":    {"upload a set of equal objects under a prefix (skips it when there)", cmdSeedSet},
		"download":    {"download a prefix into local files with the SDK; prints bytes and seconds", cmdDownload},
		"requests":    {"print MinIO's request totals by kind, or with -since the requests made after an earlier output", cmdRequests},
		"delay-proxy": {"forward TCP to a target with a one-way delay, as a store farther away (prints its address)", cmdDelayProxy},
	}
}

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, env environ, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmds := commands()
	if len(args) == 0 {
		usage(stderr, cmds)
		return 2
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "benchtool: unknown command %q\n", args[0])
		usage(stderr, cmds)
		return 2
	}
	if err := c.run(ctx, env, args[1:], stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 2
		}
		fmt.Fprintf(stderr, "benchtool %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

func usage(w io.Writer, cmds map[string]command) {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "usage: benchtool <command> [flags]; commands:")
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, cmds[n].summary)
	}
}

// newFlags returns a flag set for one subcommand that reports errors
// instead of exiting.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("benchtool "+name, flag.ContinueOnError)
	return fs
}

// parseNoArgs parses args and rejects positional arguments.
func parseNoArgs(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	return nil
}
