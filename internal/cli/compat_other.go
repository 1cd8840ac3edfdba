//go:build !windows

package cli

// inertHere are the keys that change nothing on this platform: the
// Windows mount's.
func inertHere() map[string]string {
	return map[string]string{
		"libfuse.network-share": whyWindows,
		"libfuse.windows-sddl":  whyWindows,
	}
}
