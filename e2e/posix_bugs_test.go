//go:build linux

package e2e

// Defects the POSIX run (TestPOSIX) has found and that are not fixed yet.
// Each constant is the knownBug mark of the checks that show it: when one
// is fixed, delete its constant and the compiler lists the marks to drop.
// The local-disk run (TestPOSIXChecksOnLocalDisk) passes every marked
// check, which shows the expectation is what Linux does.
const (

	// MinIO refuses a directory marker "name/" whose last segment is over
	// 246 bytes (it stores markers with a suffix); cloudfuse reports the
	// store's refusal as EINVAL. A limit of the S3 test server, not of
	// AWS S3; ENAMETOOLONG would be the clearer errno.
	bugMinioMarkerLimit = "MinIO refuses directory markers with a 247-255-byte last segment; mkdir reports EINVAL"
)
