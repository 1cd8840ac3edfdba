// Package stream is the streaming data path: reads of an object through
// parallel ranged GETs with a growing prefetch window, and writes of a
// sequentially written file as a multipart upload, both in memory bounded
// by one Budget per mount. It knows objects, not files: vfs decides when
// to use it and falls back to staging files locally when a write is not
// sequential.
//
// # Budget
//
// One Budget (NewBudget(maxBytes)) is shared by every Reader and Writer
// of a mount. InUse never exceeds Max. Buffers are allocated when needed,
// not up front; a few freed buffers are kept for reuse and count as in
// use until someone else needs the room. Acquire/Release let other caches
// account for their own memory in the same budget. Peak is the high-water
// mark.
//
// # Reader
//
//	r := stream.NewReader(backend, stream.ObjectRef{Key: k, ETag: etag, Size: size},
//		stream.ReaderOptions{Budget: budget})
//	defer r.Close()
//	n, err := r.ReadAt(ctx, p, off) // io.ReaderAt semantics, concurrent calls allowed
//
// A Reader serves one version of an object: every GET carries If-Match
// with the ETag, so bytes of two versions are never mixed; once the
// object has changed or vanished, reads fail with an error matching
// ErrStale (and the store's storage.ErrPrecondition or ErrNotFound), and
// the caller should reopen the handle on the new version.
//
// A first read near offset 0 starts a sequential stream, and so does a
// read right after a random one. Reads within 2 MiB of the stream's
// position continue it, so the kernel's concurrent, slightly reordered
// reads count. The reader keeps a window of bytes requested ahead of the
// furthest read, in ranged GETs that start at FirstRequest (1 MiB) and
// double up to PartSize (8 MiB), at most Prefetch in flight. The window
// starts at FirstRequest and doubles each time the reader reaches data
// fetched ahead of it, up to MaxWindow (64 MiB), which also caps the bytes
// one reader holds. Reads copy bytes out of a part as they arrive, so the
// first read waits for its own bytes, not for the whole part.
//
// A read past the stream's reach is a seek: the prefetches nobody waits
// for are cancelled and the read fetches just what it asks: a 4 KiB random
// read costs one 4 KiB GET. A read within RandomRead (128 KiB) after it
// starts a stream there. A read behind the stream is fetched the same way
// but leaves the stream alone (it is usually a late read of the kernel's);
// the stream moves back only once reads there go on in order for 2 MiB,
// and is dropped after eight reads in a row behind it.
//
// Prefetching takes memory only when the budget has room now and nobody
// waits for it, and halves the window when it has none. A read that finds
// no room for a buffer does not wait: it GETs straight into the caller's
// slice. So a Reader never waits for the budget and never deadlocks on it.
// Prefetched data is held until the reader moves past it, seeks away or
// closes, except that while someone waits on the budget (a Writer's next
// part), every Reader unread for ReclaimAfter (1s) gives its read-ahead
// back, so idle open files cannot hold the budget forever.
//
// Truncated bodies are resumed from where they stopped, up to Retries
// times.
//
// # Writer
//
//	w := stream.NewWriter(backend, key, stream.WriterOptions{Budget: budget, Put: putOpts})
//	n, err := w.WriteAt(ctx, p, off) // errors.Is(err, stream.ErrNotSequential): nothing taken
//	obj, err := w.Close(ctx)         // or w.Abort(ctx)
//
// A Writer takes writes at its current end only (off == Size()); any
// other offset returns ErrNotSequential without taking a byte, so the
// caller can stage the file instead (for example Close the writer, then
// stage from the object, or keep its own copy of what was written).
// Each full part of PartSize bytes (8 MiB; at least the store's
// MinPartSize) uploads in the background, Concurrency (4) at once, its
// buffer from the Budget: when the budget or the upload slots are full,
// WriteAt waits, which slows the writing application to the store's
// speed. A file that fits in one part is one Put at Close, an empty file
// included. A failed part fails the next WriteAt or Close and aborts the
// upload, so nothing half-written ever becomes visible.
//
// The part size is fixed for a file, so a streamed file holds at most
// PartSize * Caps().MaxParts bytes (78 GiB with 8 MiB parts on S3);
// MaxSize reports it and a write past it fails with an error matching
// storage.ErrTooLarge. Raise PartSize for larger files.
//
// # Errors
//
// ErrStale, ErrNotSequential, ErrOverBudget (a request larger than the
// whole budget), ErrClosed (fs.ErrClosed), and the store's errors
// unchanged, so errors.Is with storage sentinels works.
package stream
