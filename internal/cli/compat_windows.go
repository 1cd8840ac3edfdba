package cli

// inertHere are the keys that change nothing on this platform.
func inertHere() map[string]string { return map[string]string{} }
