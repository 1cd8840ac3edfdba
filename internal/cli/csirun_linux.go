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

	"github.com/a9de3765/cloudfuse/internal/config"
	"github.com/a9de3765/cloudfuse/internal/csi"
	"github.com/a9de3765/cloudfuse/internal/storage"
)

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
