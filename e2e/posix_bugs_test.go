//go:build linux

package e2e

// Defects the POSIX run (TestPOSIX) has found and that are not fixed yet.
// Each constant is the knownBug mark of the checks that show it: when one
// is fixed, delete its constant and the compiler lists the marks to drop.
// The local-disk run (TestPOSIXChecksOnLocalDisk) passes every marked
// check, which shows the expectation is what Linux does.
const ()
