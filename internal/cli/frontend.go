package cli

// served is a running mount, whichever frontend serves it.
type served interface {
	// Wait blocks until the mount ends.
	Wait()
	// Unmount asks the FUSE library to unmount; it fails while busy.
	Unmount() error
}
