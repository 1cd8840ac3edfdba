package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/a9de3765/cloudfuse/internal/config"
	"github.com/a9de3765/cloudfuse/internal/csi"
	"github.com/a9de3765/cloudfuse/internal/storage"
)

func (a *app) csiCmd() *cobra.Command {
	var endpoint, nodeID, mode, stateDir, logLevel string
	var check time.Duration
	cmd := &cobra.Command{
		Use:   "csi --endpoint=unix:///csi/csi.sock --node-id=NODE",
		Short: "Run the Kubernetes CSI driver (node and controller services)",
		Long: "Serve the Container Storage Interface on a unix socket, for Kubernetes: the node\n" +
			"service mounts volumes (an S3 bucket or Azure container and a prefix) at pods' target\n" +
			"paths with `cloudfuse mount`; the controller service creates and deletes volumes as\n" +
			"prefixes of a StorageClass's bucket. docs/kubernetes.md shows the deployment.",
		Example: "  cloudfuse csi --endpoint=unix:///csi/csi.sock --node-id=$(NODE_NAME) --mode=node\n" +
			"  cloudfuse csi --endpoint=unix:///csi/csi.sock --mode=controller",
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runCSI(cmd.Context(), endpoint, nodeID, mode, stateDir, logLevel, check)
		},
	}
	f := cmd.Flags()
	f.StringVar(&endpoint, "endpoint", "unix:///csi/csi.sock", "the unix socket to serve on")
	f.StringVar(&nodeID, "node-id", "", "this node's name (the node service)")
	f.StringVar(&mode, "mode", "all", "services to serve: node, controller or all")
	f.StringVar(&stateDir, "state-dir", "/var/lib/cloudfuse-csi", "per-volume configs, caches and logs of the node's mounts")
	f.StringVar(&logLevel, "log-level", "LOG_INFO", "LOG_ERR, LOG_WARNING, LOG_INFO or LOG_DEBUG (to stderr)")
	f.DurationVar(&check, "check-interval", 30*time.Second, "how often the node looks for published volumes whose daemon died, and mounts them again")
	return cmd
}

func (a *app) runCSI(ctx context.Context, endpoint, nodeID, mode, stateDir, logLevel string, check time.Duration) error {
	o := csi.Options{Version: versionString(), NodeID: nodeID, StateDir: stateDir}
	switch mode {
	case "node":
		o.Node = true
	case "controller":
		o.Controller = true
	case "all":
		o.Node, o.Controller = true, true
	default:
		return usageError{fmt.Errorf("--mode: expected node, controller or all, got %q", mode)}
	}
	lvl, ok := map[string]slog.Level{"LOG_ERR": slog.LevelError, "LOG_WARNING": slog.LevelWarn,
		"LOG_INFO": slog.LevelInfo, "LOG_DEBUG": slog.LevelDebug}[strings.ToUpper(logLevel)]
	if !ok {
		return usageError{fmt.Errorf("--log-level: expected LOG_ERR, LOG_WARNING, LOG_INFO or LOG_DEBUG, got %q", logLevel)}
	}
	// Requests carry secrets and are never logged; store errors pass the
	// redacting handler like the mount's.
	log := slog.New(newRedactHandler(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}), nil))
	var err error
	if o.Binary, err = os.Executable(); err != nil {
		return err
	}
	o.Logger = log
	o.OpenStore = func(ctx context.Context, data []byte) (storage.Backend, error) {
		cfg, _, err := config.Parse("volume", data)
		if err != nil {
			return nil, err
		}
		s, err := openStore(ctx, cfg, log)
		if err != nil {
			return nil, err
		}
		return s.backend, nil
	}
	d, err := csi.New(o)
	if err != nil {
		return usageError{err}
	}
	if check <= 0 {
		return usageError{fmt.Errorf("--check-interval: expected a positive duration, got %s", check)}
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if o.Node {
		go d.Watch(ctx, check)
	}
	return d.Serve(ctx, endpoint)
}
