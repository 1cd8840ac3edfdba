package staged

import (
	"context"
	"os"
	"sync"
)

// fill downloads a file's object into a new staged copy in the background
// (file cache), while reads of the parts already there go ahead. The file
// takes the copy as its staged copy once the download is complete
// (settle); anything but a read waits for that.
//
// The fill goroutine never takes file.mu. mu guards the fields below it.
type fill struct {
	local    *os.File
	name     string // data file name in the cache
	size     int64
	chunk    int64
	cancel   context.CancelFunc
	finished chan struct{} // closed when the download has ended

	mu      sync.Mutex
	written []int64 // bytes written from the start of each chunk
	err     error   // the download's error, or errFillGone
	wake    chan struct{}
	users   int  // reads using local
	dropped bool // local is closed once users is 0
}

// canFill says whether a read of f may start a background download: a
// clean file with data in the store and nothing staged.
// Caller holds f.mu.
func (f *File) canFill() bool {
	return f.fill == nil && !f.loaded && !f.dirty && !f.abandoned &&
		f.base.Key != "" && f.base.Size > 0 && f.size == f.base.Size
}

// startFill starts downloading f's object. Caller holds f.mu.
func (f *File) startFill() error {
	if err := f.c.room(f.base.Size); err != nil {
		return err
	}
	lf, name, err := f.c.newDataFile()
	if err != nil {
		return err
	}
	n := f.base
	chunk := f.c.opts.PartSize
	ctx, cancel := context.WithCancel(context.Background())
	fl := &fill{
		local: lf, name: name, size: n.Size, chunk: chunk, cancel: cancel,
		finished: make(chan struct{}), written: make([]int64, (n.Size+chunk-1)/chunk),
		wake: make(chan struct{}),
	}
	f.fill = fl
	go func() {
		defer close(fl.finished)
		_, err := f.c.download(ctx, n, lf, fl.got)
		fl.mu.Lock()
		if err != nil && fl.err == nil {
			fl.err = err
		}
		fl.signal()
		fl.mu.Unlock()
	}()
	return nil
}

// got records that the first written bytes of the chunk at off are in
// the copy.
func (fl *fill) got(off, written int64) {
	fl.mu.Lock()
	i := off / fl.chunk
	fl.written[i] = max(fl.written[i], written)
	fl.signal()
	fl.mu.Unlock()
}

// signal wakes the waiting reads. Caller holds fl.mu.
func (fl *fill) signal() {
	close(fl.wake)
	fl.wake = make(chan struct{})
}

// read reads buf at off once those bytes are downloaded. Caller holds a
// use (fl.users) taken under the file's lock.
func (fl *fill) read(ctx context.Context, buf []byte, off int64) (int, error) {
	end := off + int64(len(buf))
	for {
		fl.mu.Lock()
		ready := fl.haveAll(off, end)
		err, wake := fl.err, fl.wake
		fl.mu.Unlock()
		if err != nil {
			return 0, err
		}
		if ready {
			return fl.local.ReadAt(buf, off)
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}

// haveAll says whether the bytes [off, end) are written. Caller holds
// fl.mu.
func (fl *fill) haveAll(off, end int64) bool {
	for i := off / fl.chunk; i <= (end-1)/fl.chunk; i++ {
		start := i * fl.chunk
		if start+fl.written[i] < min(end, start+fl.chunk, fl.size) {
			return false
		}
	}
	return true
}

// use starts a read's use of local; unuse ends it.
func (fl *fill) use() {
	fl.mu.Lock()
	fl.users++
	fl.mu.Unlock()
}

// unuse ends a read's use of local.
func (fl *fill) unuse() {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	fl.users--
	if fl.users == 0 && fl.dropped {
		fl.local.Close()
	}
}

// drop stops the download and removes the partial copy; reads waiting on
// it get errFillGone. Caller holds the file's lock.
func (fl *fill) drop(c *Cache) {
	fl.cancel()
	<-fl.finished
	fl.mu.Lock()
	fl.err = errFillGone
	fl.dropped = true
	if fl.users == 0 {
		fl.local.Close()
	}
	fl.signal()
	fl.mu.Unlock()
	os.Remove(c.dataPath(fl.name))
}

// settle waits for a running download and makes its copy f's staged copy,
// or drops it and returns its error. Caller holds f.mu.
func (f *File) settle(ctx context.Context) error {
	fl := f.fill
	if fl == nil {
		return nil
	}
	select {
	case <-fl.finished:
	case <-ctx.Done():
		return ctx.Err()
	}
	f.fill = nil
	fl.mu.Lock()
	err := fl.err
	fl.mu.Unlock()
	if err != nil {
		fl.drop(f.c)
		return err
	}
	f.local, f.name, f.loaded = fl.local, fl.name, true
	f.size = fl.size
	return nil
}

// dropFill abandons a running download. Caller holds f.mu.
func (f *File) dropFill() {
	if f.fill != nil {
		f.fill.drop(f.c)
		f.fill = nil
	}
}

// endFill, at the last close, keeps a finished download as the staged copy
// (so the cache keeps it for the next open) and stops a running one.
// Caller holds f.mu.
func (f *File) endFill() {
	fl := f.fill
	if fl == nil {
		return
	}
	select {
	case <-fl.finished:
	default:
		if !fl.complete() {
			f.dropFill()
			return
		}
		// Every chunk is written; the download is only returning.
	}
	if err := f.settle(context.Background()); err != nil {
		f.c.log.Debug("download for the cache failed", "path", f.base.Key, "err", err)
	}
}

// complete says whether every chunk has been written.
func (fl *fill) complete() bool {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	return fl.err == nil && fl.haveAll(0, fl.size)
}
