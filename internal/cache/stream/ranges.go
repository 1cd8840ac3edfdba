package stream

import (
	"container/list"
	"context"
	"errors"
	"sync"
)

// Ranges keeps, in memory, the chunks of objects that random reads
// fetched, and drops the least recently used first. A random read fetches
// the whole aligned chunk around the bytes it asks for, so reads that come
// back to a region (an index, a set of hot records, tensors read out of
// order) are served without a request. It is shared by every Reader of a
// mount and lives within the mount's budget: a chunk is kept only while
// the budget has room for it at once, and while a stream or a write waits
// for memory, Ranges gives all of its memory back. Chunks are of one
// version (key and ETag), so bytes of two versions never mix.
type Ranges struct {
	budget *Budget
	chunk  int64

	// mu guards every field below; chunk data is copied out under it.
	mu       sync.Mutex
	lru      *list.List // of *rangeChunk, most recently used at the front
	byID     map[rangeID]*list.Element
	fetching map[rangeID]*rangeFetch
	bytes    int64
}

// RangeChunk is the default chunk size of Ranges.
const RangeChunk = 256 << 10

type rangeID struct {
	key, etag string
	idx       int64
}

type rangeChunk struct {
	id   rangeID
	data []byte // from the budget
}

// rangeFetch is one chunk being fetched; the reads that want it meanwhile
// wait for it instead of fetching it again.
type rangeFetch struct {
	done chan struct{}
	data []byte // nil when the fetch failed or was not kept
	err  error
}

// NewRanges returns a cache of chunks of chunk bytes (RangeChunk if 0)
// within b.
func NewRanges(b *Budget, chunk int64) *Ranges {
	if chunk <= 0 {
		chunk = RangeChunk
	}
	c := &Ranges{budget: b, chunk: chunk, lru: list.New(),
		byID: map[rangeID]*list.Element{}, fetching: map[rangeID]*rangeFetch{}}
	b.onWait(c.dropAll)
	return c
}

// Bytes is the memory the cache holds.
func (c *Ranges) Bytes() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes
}

// takes says whether a random read of [pos, end) of r goes through c: a
// read of a pinned version no larger than a chunk. Larger random reads
// (the kernel's read-ahead) fetch what they ask, in blocks the disk tier
// can keep.
func (c *Ranges) takes(r *Reader, pos, end int64) bool {
	return c != nil && r.obj.ETag != "" && end > pos && end-pos <= c.chunk
}

// read fills dst with r's object at pos from cached chunks, fetching the
// missing ones whole. ok is false when the read does not go through the
// cache (see takes; no memory): the caller then reads the bytes itself.
func (c *Ranges) read(ctx context.Context, r *Reader, dst []byte, pos int64) (n int, ok bool, err error) {
	end := pos + int64(len(dst))
	if !c.takes(r, pos, end) {
		return 0, false, nil
	}
	first, last := pos/c.chunk, (end-1)/c.chunk
	for idx := first; idx <= last; idx++ {
		id := rangeID{key: r.obj.Key, etag: r.obj.ETag, idx: idx}
		start := idx * c.chunk
		from, to := max(pos, start), min(end, start+c.chunk)
		got, err := c.copyChunk(ctx, r, id, dst[from-pos:to-pos], from-start)
		n += got
		switch {
		case err != nil:
			return n, true, err
		case got < int(to-from):
			if n == 0 {
				return 0, false, nil // no memory: read it directly
			}
			return n, true, nil
		}
	}
	return n, true, nil
}

// copyChunk copies the chunk id, from off on, into dst, fetching the chunk
// if it is not cached. It returns 0 without an error when the chunk cannot
// be kept (the budget is full).
func (c *Ranges) copyChunk(ctx context.Context, r *Reader, id rangeID, dst []byte, off int64) (int, error) {
	for {
		c.mu.Lock()
		if e, ok := c.byID[id]; ok {
			c.lru.MoveToFront(e)
			n := copy(dst, e.Value.(*rangeChunk).data[off:])
			c.mu.Unlock()
			return n, nil
		}
		if f, ok := c.fetching[id]; ok {
			c.mu.Unlock()
			select {
			case <-f.done:
			case <-ctx.Done():
				return 0, ctx.Err()
			}
			if f.err != nil {
				if ctx.Err() == nil && (errors.Is(f.err, context.Canceled) || errors.Is(f.err, context.DeadlineExceeded)) {
					continue // the read that fetched it gave up; not this one
				}
				return 0, f.err
			}
			if f.data == nil {
				return 0, nil
			}
			continue // kept: copy it out under the lock
		}
		f := &rangeFetch{done: make(chan struct{})}
		c.fetching[id] = f
		c.mu.Unlock()
		c.fetch(ctx, r, id, f)
		if f.err != nil || f.data == nil {
			return 0, f.err
		}
	}
}

// fetch reads chunk id whole into memory from the budget and keeps it.
func (c *Ranges) fetch(ctx context.Context, r *Reader, id rangeID, f *rangeFetch) {
	defer func() {
		c.mu.Lock()
		delete(c.fetching, id)
		if f.data != nil {
			c.byID[id] = c.lru.PushFront(&rangeChunk{id: id, data: f.data})
			c.bytes += int64(len(f.data))
		}
		c.mu.Unlock()
		close(f.done)
	}()
	start := id.idx * c.chunk
	size := min(c.chunk, r.obj.Size-start)
	buf := c.alloc(int(size))
	if buf == nil {
		return
	}
	n, err := r.getInto(ctx, buf, start, nil)
	if err != nil || int64(n) != size {
		c.budget.Free(buf)
		f.err = err
		return
	}
	f.data = buf
}

// alloc takes n bytes from the budget, dropping the least recently used
// chunks to make room; nil when even that leaves no room now.
func (c *Ranges) alloc(n int) []byte {
	for {
		if buf, ok := c.budget.TryAlloc(n); ok {
			return buf
		}
		if !c.dropOldest() {
			return nil
		}
	}
}

// dropOldest gives the least recently used chunk back to the budget.
func (c *Ranges) dropOldest() bool {
	c.mu.Lock()
	e := c.lru.Back()
	if e == nil {
		c.mu.Unlock()
		return false
	}
	ch := c.lru.Remove(e).(*rangeChunk)
	delete(c.byID, ch.id)
	c.bytes -= int64(len(ch.data))
	c.mu.Unlock()
	c.budget.Free(ch.data)
	return true
}

// dropAll gives every chunk back: someone waits for the budget.
func (c *Ranges) dropAll() {
	c.mu.Lock()
	chunks := make([][]byte, 0, c.lru.Len())
	for e := c.lru.Front(); e != nil; e = e.Next() {
		chunks = append(chunks, e.Value.(*rangeChunk).data)
	}
	c.lru.Init()
	clear(c.byID)
	c.bytes = 0
	c.mu.Unlock()
	for _, b := range chunks {
		c.budget.Free(b)
	}
}
