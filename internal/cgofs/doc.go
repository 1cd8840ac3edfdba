// Package cgofs adapts vfs to a FUSE library through cgofuse: WinFsp on
// Windows (no cgo needed), libfuse3 on Linux (cgo, build tags cgofuse and
// fuse3) where it proves the same filesystem suites pass through a second
// frontend. cgofuse's API is path-based, like vfs's, so this frontend only
// converts arguments and results; what both frontends decide (errnos, open
// flags, modes, options) lives in fsrules.
package cgofs
