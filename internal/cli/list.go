package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (a *app) mountListCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List cloudfuse mounts: mount path, source, store, config file and daemon",
		Long: "List every cloudfuse mount in the mount table, one per line, tab-separated: the mount\n" +
			"path and the source; then, for mounts whose daemon recorded itself, the store, the\n" +
			"config file and the daemon's pid, or a note that the daemon has exited (a stale mount\n" +
			"that cloudfuse unmount cleans up).",
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			entries, err := a.mountTable()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			for _, e := range entries {
				if !e.Ours() {
					continue
				}
				st, ok := a.readState(e.Point)
				switch {
				case !ok:
					fmt.Fprintf(out, "%s\t%s\n", e.Point, e.Source)
				case !st.alive():
					fmt.Fprintf(out, "%s\t%s\t%s\t%s\tstale: daemon pid %d has exited; run cloudfuse unmount %s\n",
						e.Point, e.Source, st.Store, configText(st.Config), st.PID, e.Point)
				default:
					fmt.Fprintf(out, "%s\t%s\t%s\t%s\tpid %d\n", e.Point, e.Source, st.Store, configText(st.Config), st.PID)
				}
			}
			return nil
		},
	}
}

func configText(path string) string {
	if path == "" {
		return "no config file"
	}
	return path
}
