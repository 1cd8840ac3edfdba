//go:build linux

package e2e

// Defects the POSIX run (TestPOSIX) has found and that are not fixed yet.
// Each constant is the knownBug mark of the checks that show it: when one
// is fixed, delete its constant and the compiler lists the marks to drop.
// The local-disk run (TestPOSIXChecksOnLocalDisk) passes every marked
// check, which shows the expectation is what Linux does.
const (
	// go-fuse replaces permission bits 0000 in lookup and getattr replies
	// with 0644 (files) or 0755 (directories) unless fs.Options has
	// NullPermissions; fusefs.Mount does not set it. chmod 000 therefore
	// shows for at most the attribute timeout, then the file opens up.
	bugNullPermissions = "fusefs.Mount: go-fuse shows mode 0000 as 0644/0755 without fs.Options.NullPermissions"

	// New entries take the caller's gid and never inherit the setgid bit:
	// fusefs Create, Mkdir and Symlink pass caller(ctx)'s gid, and nothing
	// looks at the parent's S_ISGID (a FUSE server must do what a local
	// filesystem's inode_init_owner does).
	bugSetgidDir = "fusefs/vfs create, mkdir: a setgid directory does not give its group (and setgid, for directories) to new entries"

	// Creating or removing an entry leaves the directory's mtime and ctime
	// as they were: vfs never touches the parent's node or marker in
	// Create, Mkdir, Symlink, Unlink, Rmdir or Rename, and the kernel
	// re-reads the parent's attributes after each of them.
	bugParentTimes = "vfs: creating, removing or renaming an entry does not update the directory's mtime and ctime"

	// An open file whose name was unlinked refuses the SETATTR (mtime) the
	// kernel sends for it with its writeback cache: vfs.setattrOpen
	// rewrites the metadata of the deleted object (ENOENT), and without a
	// writable handle fusefs.Setattr returns ENOENT for an inode with no
	// path instead of using the handle it remembers (node.open). The
	// kernel then fails the close (EIO) or fsync (ENOENT).
	bugUnlinkedSetattr = "vfs.setattrOpen/fusefs.Setattr: attribute changes of an open, unlinked file fail, so close or fsync fails"

	// A metadata change of an open file whose data is not staged yet (the
	// SETATTR the kernel sends after rename, the setuid clearing before a
	// write, fchmod) rewrites the object's metadata, which on Azure gives
	// the blob a new ETag; vfs.setattrOpen keeps the old ETag in f.base
	// (setMeta updates only the attribute cache), so the next read or write
	// that stages the data is pinned to the old ETag and fails with ESTALE.
	bugStaleAfterSetattr = "vfs.setattrOpen: the open file keeps the ETag from before its metadata rewrite; on Azure the next read or write is ESTALE"

	// MinIO answers HEAD of a key with a path segment over 255 bytes with a
	// bare 400. vfs.fetch probes name.rclonelink (name + 11 bytes) with
	// every lookup and fails the whole lookup on that answer, so a file
	// with a 245-255-byte name cannot be looked up again once its cached
	// attributes expire (EIO). AWS S3 has no per-segment limit.
	bugLongNameProbe = "vfs.fetch: the name.rclonelink probe fails lookups of 245-255-byte names on MinIO (HEAD answers 400)"

	// MinIO refuses a directory marker "name/" whose last segment is over
	// 246 bytes (it stores markers with a suffix); cloudfuse reports the
	// store's refusal as EINVAL. A limit of the S3 test server, not of
	// AWS S3; ENAMETOOLONG would be the clearer errno.
	bugMinioMarkerLimit = "MinIO refuses directory markers with a 247-255-byte last segment; mkdir reports EINVAL"

	// Reads (lookup, getattr, readlink, read, readdir) run under the
	// request's context, which go-fuse cancels when the kernel interrupts
	// the request because the calling thread got a signal; the vfs call
	// then fails with context.Canceled, mapped to EINTR. stat(2) and
	// readlink(2) on a local filesystem never fail with EINTR, and
	// programs with signal handlers (and Go programs) get such failures
	// at random. Checks that fail this way run again.
	bugEINTR = "fusefs: read-only requests interrupted by a signal fail with EINTR instead of completing"
)
