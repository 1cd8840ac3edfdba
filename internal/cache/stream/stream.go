package stream

import (
	"context"
	"errors"
	"slices"
)

// How a Reader decides what to fetch. All of it runs under Reader.mu.
//
// A stream starts with a first read within FirstRequest of offset 0, or
// with a read next to (within RandomRead of) a random read. Reads within seqTolerance of the stream's
// position continue it. The stream keeps window bytes requested past the
// furthest read, in parts whose size starts at FirstRequest and doubles up
// to PartSize, at most Prefetch in flight. The window starts at
// FirstRequest and doubles each time a read reaches a part that was
// fetched ahead of it (the reader keeps up), up to MaxWindow; it halves
// when the budget has no room. Parts more than seqTolerance behind the
// furthest read are dropped.
//
// A read past the stream's reach is a seek: every prefetch nobody waits
// for is cancelled and the read fetches just what it asks into its own
// part. A read behind the stream is a side read, served the same way but
// leaving the stream alone, since it is most likely a straggler of the
// kernel's concurrent reads. Only when side reads go on in order for
// seqTolerance bytes (the reader really went back), or maxSideReads of
// them come in a row without a read in the stream (the stream is
// abandoned), does the stream move.
//
// A reader never holds more than MaxWindow bytes and never waits for the
// budget: with no room for a buffer a read goes straight into the
// caller's slice.

// locate returns the part holding pos, with a use counted, or nil when
// the read must go straight to the store. On a read's first call it
// classifies the read [off, end) and moves the stream.
func (r *Reader) locate(pos, off, end int64, first bool) (*part, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, ErrClosed
	}
	if r.stale != nil {
		return nil, r.stale
	}
	if first {
		r.classify(off, end)
	}
	pt := r.find(pos)
	if pt == nil {
		pt = r.demand(pos, end)
	}
	if pt != nil {
		pt.refs++
		pt.users++
		if pt.stream && !pt.counted && r.streak > 0 {
			pt.counted = true
			r.window = min(2*r.window, r.opts.MaxWindow)
		}
	}
	r.schedule()
	return pt, nil
}

// classify decides what the read [off, end) means for the stream.
func (r *Reader) classify(off, end int64) {
	reach := max(r.next, r.fetchEnd)
	switch {
	case !r.started:
		// A first read at the start opens a stream from offset 0; the
		// kernel's first reads may arrive in any order.
		r.started = true
		if off < r.opts.FirstRequest {
			r.streak, r.next = 1, end
			return
		}
		r.seek(off, end)
	case r.streak > 0 && off >= r.next-seqTolerance && off <= reach+seqTolerance:
		r.streak++
		r.next = max(r.next, end)
		r.sideReads = 0
	case r.streak > 0 && off < r.next-seqTolerance:
		r.side(off, end)
	case r.streak == 0 && off >= r.next-r.opts.RandomRead && off <= reach+r.opts.RandomRead:
		// Next to the last random read: a stream starts.
		r.streak = 1
		r.next = max(r.next, end)
	default:
		r.seek(off, end)
	}
}

// seek drops the stream for a random read [off, end).
func (r *Reader) seek(off, end int64) {
	r.streak = 0
	r.dropAll()
	r.next, r.fetchEnd = end, off
	r.window, r.reqSize = r.opts.FirstRequest, r.opts.FirstRequest
	r.sideBytes, r.sideReads = 0, 0
}

// side handles a read [off, end) behind the stream.
func (r *Reader) side(off, end int64) {
	r.sideReads++
	if r.sideBytes > 0 && off >= r.sideNext-r.opts.RandomRead && off <= r.sideNext+r.opts.RandomRead {
		r.sideBytes += end - off
		r.sideNext = max(r.sideNext, end)
	} else {
		r.dropSide()
		r.sideBytes, r.sideNext = end-off, end
	}
	switch {
	case r.sideBytes >= seqTolerance:
		// The reader went back and reads on from there: move the stream,
		// keeping what the side reads fetched.
		from := r.sideNext - r.sideBytes
		r.seekKeepingSide(from, r.sideNext)
		r.streak = 1
	case r.sideReads >= maxSideReads:
		r.seek(off, end)
	}
}

// seekKeepingSide is seek, except that the side parts stay as parts of
// the new stream.
func (r *Reader) seekKeepingSide(off, end int64) {
	for _, pt := range slices.Clone(r.parts) {
		if pt.side {
			pt.side = false
		} else if pt.users == 0 {
			r.drop(pt)
		}
	}
	r.streak = 0
	r.next, r.fetchEnd = end, off
	r.window, r.reqSize = r.opts.FirstRequest, r.opts.FirstRequest
	r.sideBytes, r.sideReads = 0, 0
}

// dropSide drops the unused parts side reads fetched.
func (r *Reader) dropSide() {
	for _, pt := range slices.Clone(r.parts) {
		if pt.side && pt.users == 0 {
			r.drop(pt)
		}
	}
}

// find returns the listed part holding pos, or nil.
func (r *Reader) find(pos int64) *part {
	i, ok := slices.BinarySearchFunc(r.parts, pos, func(p *part, pos int64) int {
		switch {
		case p.end <= pos:
			return -1
		case p.off > pos:
			return 1
		}
		return 0
	})
	if !ok {
		return nil
	}
	return r.parts[i]
}

// limitAfter is where a new part at pos must end at the latest: the next
// listed part or the end of the object.
func (r *Reader) limitAfter(pos int64) int64 {
	for _, p := range r.parts {
		if p.off > pos {
			return p.off
		}
	}
	return r.obj.Size
}

// demand starts a part for a read at pos that no part holds, or returns
// nil when there is no memory for one.
func (r *Reader) demand(pos, end int64) *part {
	if r.streak == 0 && r.opts.Ranges.takes(r, pos, end) {
		return nil // a small random read: served through Ranges (direct)
	}
	start := pos
	size := min(end-pos, r.opts.PartSize)
	frontier := r.streak > 0 && pos >= r.fetchEnd
	if frontier {
		if gap := pos - r.fetchEnd; gap < r.reqSize && r.limitAfter(r.fetchEnd) > pos {
			// A read that overtook the ones just before it: fetch from
			// the stream's end so they find their bytes too, unless a
			// part listed in the gap would cut that fetch short of pos.
			start = r.fetchEnd
		}
		size = max(r.reqSize, min(end-start, r.opts.PartSize))
	}
	size = min(size, r.limitAfter(start)-start)
	r.evictBehind(start)
	pt, _ := r.start(start, size)
	if pt == nil {
		return nil
	}
	if r.streak > 0 && pos < r.next-seqTolerance {
		pt.side = true
	}
	if frontier {
		pt.stream = true
		pt.counted = true
		r.fetchEnd = pt.end
		r.reqSize = min(2*r.reqSize, r.opts.PartSize)
	}
	return pt
}

// schedule tops up the prefetch window of a sequential stream.
func (r *Reader) schedule() {
	r.evictBehind(r.next - seqTolerance)
	if r.streak == 0 || r.closed || r.stale != nil {
		return
	}
	target := min(r.obj.Size, r.next+r.window)
	for r.fetchEnd < target && r.fetching < r.opts.Prefetch {
		if pt := r.find(r.fetchEnd); pt != nil {
			r.fetchEnd = pt.end // already fetched by a read
			continue
		}
		size := min(r.reqSize, r.limitAfter(r.fetchEnd)-r.fetchEnd)
		pt, noBudget := r.start(r.fetchEnd, size)
		if pt == nil {
			if noBudget {
				r.window = max(r.opts.FirstRequest, r.window/2)
			}
			return
		}
		pt.stream = true
		r.fetchEnd = pt.end
		r.reqSize = min(2*r.reqSize, r.opts.PartSize)
	}
}

// start lists a new part [off, off+size) and starts its GET. It returns
// nil if the reader's cap or the budget has no room; noBudget says the
// budget was the reason.
func (r *Reader) start(off, size int64) (pt *part, noBudget bool) {
	if size <= 0 || r.held+size > r.opts.MaxWindow {
		return nil, false
	}
	buf, ok := r.opts.Budget.TryAlloc(int(size))
	if !ok {
		return nil, true
	}
	ctx, cancel := context.WithCancel(r.ctx)
	pt = newPart(off, buf, cancel)
	i, _ := slices.BinarySearchFunc(r.parts, off, func(p *part, off int64) int {
		if p.off < off {
			return -1
		}
		return 1
	})
	r.parts = slices.Insert(r.parts, i, pt)
	r.held += size
	r.heldPeak = max(r.heldPeak, r.held)
	r.fetching++
	r.wg.Add(1)
	go r.fetch(ctx, pt)
	return pt, false
}

// fetch runs one part's GET.
func (r *Reader) fetch(ctx context.Context, pt *part) {
	defer r.wg.Done()
	_, err := r.getInto(ctx, pt.buf, pt.off, pt.progress)
	r.mu.Lock()
	defer r.mu.Unlock()
	// Publish under r.mu so no read finds a failed part after this.
	pt.finish(err)
	pt.fetching = false
	r.fetching--
	switch {
	case errors.Is(err, ErrStale):
		if r.stale == nil {
			r.stale = err
			r.dropAll()
		}
	case err != nil:
		// Forget the failed part so a later read tries again.
		r.drop(pt)
	}
	r.unref(pt)
	if err == nil {
		r.schedule()
	}
}

// unuse ends a read's use of pt.
func (r *Reader) unuse(pt *part) {
	r.mu.Lock()
	defer r.mu.Unlock()
	pt.users--
	if pt.users == 0 && !pt.inList && pt.fetching {
		pt.cancel() // dropped while in use; nobody wants the rest now
	}
	r.unref(pt)
}

// unref drops one reference to pt, giving its buffer back at the last.
func (r *Reader) unref(pt *part) {
	pt.refs--
	if pt.refs == 0 {
		pt.cancel()
		r.opts.Budget.Free(pt.buf)
		r.held -= int64(len(pt.buf))
		pt.buf = nil
	}
}

// drop takes pt off the list, cancelling its GET unless a read waits on
// it.
func (r *Reader) drop(pt *part) {
	if !pt.inList {
		return
	}
	pt.inList = false
	if i := slices.Index(r.parts, pt); i >= 0 {
		r.parts = slices.Delete(r.parts, i, i+1)
	}
	if pt.users == 0 && pt.fetching {
		pt.cancel()
	}
	r.unref(pt)
}

// dropAll drops every part no read is using.
func (r *Reader) dropAll() {
	for _, pt := range slices.Clone(r.parts) {
		if pt.users == 0 || r.closed || r.stale != nil {
			r.drop(pt)
		}
	}
}

// evictBehind drops unused parts that end at or before pos, except those
// of side reads (see side).
func (r *Reader) evictBehind(pos int64) {
	for _, pt := range slices.Clone(r.parts) {
		if pt.end > pos {
			break
		}
		if pt.users == 0 && !pt.side {
			r.drop(pt)
		}
	}
}
