package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

func (a *app) serviceCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "service",
		Short: "Mounts that come back at boot: the cloudfuse service (Windows) or systemd units (Linux)",
		Long: "Keep mounts that come back after a reboot, as Cloudfuse does.\n\n" +
			"On Windows, install the cloudfuse service once (as an administrator); `service mount`\n" +
			"then mounts a bucket and records it in the registry (HKLM\\Software\\cloudfuse\\Mounts),\n" +
			"and the service mounts every recorded mount when it starts, at boot.\n\n" +
			"On Linux every such mount is a systemd unit of its own, cloudfuse-<path>.service:\n" +
			"`service mount` writes and enables it and mounts; `service unmount` undoes both. There is\n" +
			"no service to install, start or stop; those commands say so.",
		Example: "  cloudfuse service install\n" +
			"  cloudfuse service mount Z: --config-file=C:\\cloudfuse\\config.yaml\n" +
			"  cloudfuse service unmount Z:\n" +
			"  cloudfuse service mount /mnt/photos --config-file=/etc/cloudfuse/photos.yaml",
		Args: usageArgs(cobra.NoArgs),
	}
	simple := func(use, short string, run func(context.Context) (string, error)) *cobra.Command {
		return &cobra.Command{
			Use:   use,
			Short: short,
			Args:  usageArgs(cobra.NoArgs),
			RunE: func(cmd *cobra.Command, _ []string) error {
				msg, err := run(cmd.Context())
				if err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), msg)
				return nil
			},
		}
	}
	var m mountArgs
	mount := &cobra.Command{
		Use:   "mount <path> --config-file=<file>",
		Short: "Mount now, and again whenever the service starts (at boot)",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			e := remountEntry{MountPath: args[0], ConfigFile: m.configFile, Secure: m.secureConfig}
			run := append(e.mountArgs(), "--enable-remount-system")
			if m.passphrase != "" {
				run = append(run, "--passphrase="+m.passphrase)
			}
			return a.runArgs(cmd.Context(), run, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	mount.Flags().StringVar(&m.configFile, "config-file", "", "the mount's configuration file")
	mount.Flags().BoolVar(&m.secureConfig, "secure-config", false, "the config file is encrypted")
	mount.Flags().StringVar(&m.passphrase, "passphrase", "", "passphrase of an encrypted config file (the service itself reads $"+"CLOUDFUSE_SECURE_CONFIG_PASSPHRASE)")
	unmount := &cobra.Command{
		Use:   "unmount <path>",
		Short: "Unmount, and stop mounting it at boot",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runArgs(cmd.Context(), []string{"unmount", args[0], "--disable-remount-system"}, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	run := &cobra.Command{
		Use:    "run",
		Short:  "Run as the Windows service (started by the service manager)",
		Hidden: true,
		Args:   usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.serviceRun(cmd.Context())
		},
	}
	remountUser := &cobra.Command{
		Use:    "remount-user",
		Short:  "Mount every mount recorded with --enable-remount-user (run at login on Windows)",
		Hidden: true,
		Args:   usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.remountUserMounts(cmd.Context())
		},
	}
	cmd.AddCommand(
		simple("install", "Install the cloudfuse service, started at boot (Windows, as an administrator)", a.serviceInstall),
		simple("uninstall", "Stop and remove the cloudfuse service (Windows)", a.serviceUninstall),
		simple("start", "Start the cloudfuse service: it mounts every recorded mount (Windows)", a.serviceStart),
		simple("stop", "Stop the cloudfuse service: it unmounts its mounts (Windows)", a.serviceStop),
		mount, unmount, run, remountUser)
	return cmd
}

// runArgs runs another cloudfuse command line in this process, as if it
// had been given.
func (a *app) runArgs(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub := *a
	sub.stdin, sub.stdout, sub.stderr, sub.args = strings.NewReader(""), stdout, stderr, args
	root := sub.rootCmd()
	root.SetArgs(args)
	return root.ExecuteContext(ctx)
}
