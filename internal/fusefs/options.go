//go:build linux

package fusefs

import "github.com/a9de3765/cloudfuse/internal/fsrules"

// Options configures the kernel side of a mount (shared with the cgofuse
// frontend).
type Options = fsrules.Options

// Observer receives per-operation counts, latencies, errors and bytes.
type Observer = fsrules.Observer
