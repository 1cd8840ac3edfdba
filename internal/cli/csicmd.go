package cli

import (
	"time"

	"github.com/spf13/cobra"
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
