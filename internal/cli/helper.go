package cli

import (
	"fmt"
	"os"
	"strings"
)

// helperName is the name mount(8) runs for `mount -t fuse.cloudfuse`
// (/sbin/mount.fuse.cloudfuse, a link to the cloudfuse binary).
const helperName = "mount.fuse.cloudfuse"

// helperArgs turns mount helper arguments into a cloudfuse command line.
// mount(8), and mount.fuse3 for `-t fuse.cloudfuse`, call
//
//	mount.fuse.cloudfuse SPEC DIR [-sfnv] [-o OPTIONS] [-t TYPE]
//	cloudfuse SPEC DIR -o OPTIONS
//
// where SPEC, the first field of an fstab line, is the config file
// (optionally written cloudfuse#FILE). The result is
// `mount DIR --config-file=SPEC -o OPTIONS`; fstab-only options such as
// _netdev, nofail and x-systemd.* are dropped by the -o parser.
func helperArgs(args []string) ([]string, error) {
	var pos, opts []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-o" && i+1 < len(args):
			opts = append(opts, args[i+1])
			i++
		case strings.HasPrefix(a, "-o") && len(a) > 2:
			opts = append(opts, a[2:])
		case a == "-t" && i+1 < len(args):
			i++ // the type: fuse.cloudfuse
		case a == "-s" || a == "-f" || a == "-n" || a == "-v":
			// sloppy, fake, no mtab, verbose: nothing to do
		case strings.HasPrefix(a, "-"):
			return nil, usageError{fmt.Errorf("mount helper: unknown option %s", a)}
		default:
			pos = append(pos, a)
		}
	}
	if len(pos) != 2 {
		return nil, usageError{fmt.Errorf("mount helper: expected CONFIG-FILE MOUNT-PATH [-o OPTIONS], got %q", strings.Join(args, " "))}
	}
	spec := strings.TrimPrefix(pos[0], "cloudfuse#")
	out := []string{"mount", pos[1], "--config-file=" + spec}
	secure := false
	var rest []string
	for _, group := range opts {
		for _, o := range strings.Split(group, ",") {
			// secure_config asks for an encrypted config; its passphrase
			// comes from the environment (systemd EnvironmentFile=).
			if o == "secure_config" {
				secure = true
				continue
			}
			if o != "" {
				rest = append(rest, o)
			}
		}
	}
	if secure {
		out = append(out, "--secure-config")
	}
	if len(rest) > 0 {
		out = append(out, "-o", strings.Join(rest, ","))
	}
	return out, nil
}

// asHelper says whether cloudfuse was started as a mount helper: under the
// helper's name, or with the helper's arguments (a config file and a
// directory, where a command name would be).
func asHelper(prog string, args []string, commands []string) bool {
	if prog == helperName {
		return true
	}
	if len(args) < 2 || strings.HasPrefix(args[0], "-") {
		return false
	}
	for _, c := range commands {
		if args[0] == c {
			return false
		}
	}
	cfg, err1 := os.Stat(strings.TrimPrefix(args[0], "cloudfuse#"))
	dir, err2 := os.Stat(args[1])
	return err1 == nil && err2 == nil && cfg.Mode().IsRegular() && dir.IsDir()
}
