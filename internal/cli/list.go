package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (a *app) mountListCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List cloudfuse mounts: mount path and source",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			entries, err := readMountInfo(a.mountinfo)
			if err != nil {
				return err
			}
			for _, e := range entries {
				if e.ours() {
					fmt.Fprintf(cmd.OutOrStdout(), "%s\t%s\n", e.Point, e.Source)
				}
			}
			return nil
		},
	}
}
