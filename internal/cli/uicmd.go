package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/a9de3765/cloudfuse/internal/config"
	"github.com/a9de3765/cloudfuse/internal/ui"
)

func (a *app) uiCmd() *cobra.Command {
	var address string
	var port int
	var noBrowser bool
	cmd := &cobra.Command{
		Use:   "ui",
		Short: "Open the web GUI: write configs, mount, unmount and watch mounts",
		Long: "Start the cloudfuse GUI, a local web application, and open it in the default browser\n" +
			"(the address is printed either way). It lists every cloudfuse mount with live charts of\n" +
			"its throughput, operations, store requests, latency, cache and memory; unmounts them;\n" +
			"and has forms for S3 and Azure that test, save (plain or encrypted), mount and set up\n" +
			"mounting at boot, with the same checks and commands as the CLI.\n\n" +
			"It listens on 127.0.0.1 at a free port unless told otherwise, and every request needs\n" +
			"the session token in the printed address. Stop it with Ctrl-C; mounts stay up.",
		Example: "  cloudfuse ui\n  cloudfuse ui --port=7070 --no-browser",
		Args:    usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.ui(cmd, address, port, noBrowser)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&address, "address", "127.0.0.1", "address to listen on; anything but loopback lets other machines in")
	fs.IntVar(&port, "port", 0, "port to listen on (default: a free one)")
	fs.BoolVar(&noBrowser, "no-browser", false, "print the address without opening a browser")
	return cmd
}

func (a *app) ui(cmd *cobra.Command, address string, port int, noBrowser bool) error {
	if port < 0 || port > 65535 {
		return usageError{fmt.Errorf("--port: expected 0 to 65535, got %d", port)}
	}
	ip := net.ParseIP(address)
	if ip == nil && address != "localhost" {
		return usageError{fmt.Errorf("--address: expected an IP address, got %q", address)}
	}
	o := ui.Options{Host: uiHost{a}, KDF: a.kdf, Opener: desktopOpener(a.getenv), Version: versionString()}
	srv, err := ui.New(o)
	if err != nil {
		return err
	}
	ln, url, err := srv.Listen(net.JoinHostPort(address, strconv.Itoa(port)))
	if err != nil {
		return err
	}
	if ip != nil && !ip.IsLoopback() {
		fmt.Fprintf(a.stderr, "cloudfuse: warning: listening on %s, which other machines may reach; "+
			"anyone with the address below can mount, unmount and read configs as this user\n", ln.Addr())
	}
	fmt.Fprintf(a.stdout, "cloudfuse ui: open %s\n", url)
	if !noBrowser && o.Opener != nil {
		if err := o.Opener(url); err != nil {
			fmt.Fprintf(a.stderr, "cloudfuse: warning: could not open a browser (%v); open the address above\n", err)
		}
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return srv.Serve(ctx, ln)
}

// uiHost is what the GUI asks of the command line.
type uiHost struct{ a *app }

// Mounts lists the cloudfuse mounts as `mount list` does.
func (h uiHost) Mounts() ([]ui.Mount, error) {
	entries, err := h.a.mountTable()
	if err != nil {
		return nil, err
	}
	var out []ui.Mount
	for _, e := range entries {
		if !e.Ours() {
			continue
		}
		m := ui.Mount{Path: e.Point, Source: e.Source, State: ui.StateUnknown}
		if st, ok := h.a.readState(e.Point); ok {
			m.Store, m.Config, m.PID, m.Socket, m.Log = st.Store, st.Config, st.PID, st.Socket, st.Log
			m.State = ui.StateMounted
			if !st.alive() {
				m.State = ui.StateStale
			}
		} else if isStale(e.Point) {
			m.State = ui.StateStale
		}
		out = append(out, m)
	}
	return out, nil
}

// Run runs a cloudfuse command in this process, as the CLI would run it,
// and returns its output and its error (types kept).
func (h uiHost) Run(ctx context.Context, args []string) (string, error) {
	var out bytes.Buffer
	err := h.a.runArgs(ctx, args, &out, io.Discard)
	return out.String(), err
}

// MountAtBoot sets a config to be mounted at boot as
// --enable-remount-system does (at the user's login for a user who is not
// root on Linux, whose system units they cannot write).
func (h uiHost) MountAtBoot(mountPath, configFile string, secure bool, passphrase string) (string, error) {
	e, err := newRemountEntry(mountPath, configFile, secure, "")
	if err != nil {
		return "", err
	}
	scope := remountSystem
	if runtime.GOOS == "linux" && os.Geteuid() != 0 {
		scope = remountUser
	}
	return h.a.enableRemount(scope, e, passphrase)
}

// NoEffect lists the keys set in cfg that change nothing here.
func (h uiHost) NoEffect(cfg *config.Config) []config.Warning { return noEffect(cfg) }

// startDetached starts c and reaps it when it ends.
func startDetached(c *exec.Cmd) error {
	if err := c.Start(); err != nil {
		return err
	}
	go func() { _ = c.Wait() }()
	return nil
}
