package stream

// Sizing of a mount's memory, owned by the streaming path because its
// buffers are what fills the budget. The config layer gives the total
// (block_cache.mem-size-mb), the part size and the store's concurrency.

// BufferBudget is what the buffers of open files may hold out of a memory
// budget of total bytes: the rest is left to the runtime (the collector's
// headroom, request buffers, the caches of names), so that the daemon as a
// whole stays within total. It is at least two parts.
func BufferBudget(total, part int64) int64 {
	reserve := min(total/4, 64<<20)
	return max(total-reserve, 2*part)
}

// MemoryLimit is the Go runtime's memory limit for a daemon whose memory
// budget is total bytes and whose buffers may hold buffers bytes: under
// the budget by room for the program's code and stacks, which are
// resident outside the Go heap, and never below the buffers. Without a
// limit the collector lets the heap grow to twice what is live.
func MemoryLimit(total, buffers int64) int64 {
	return max(total-min(total/8, 24<<20), buffers+16<<20)
}

// UploadConcurrency is how many parts of one file may upload at once
// within a budget of budget bytes: a writer needs its parts in flight plus
// the one being filled, so fewer when the budget is small.
func UploadConcurrency(conc int, budget, part int64) int {
	return int(min(int64(conc), max(budget/part-1, 1)))
}
