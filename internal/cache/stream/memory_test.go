package stream

import "testing"

// The streaming buffers get the memory budget less a reserve for the rest
// of the daemon, so that the whole process stays within the budget; never
// less than two parts.
func TestBufferBudgetLeavesRoomForTheRuntime(t *testing.T) {
	const mib = int64(1 << 20)
	for _, c := range []struct{ total, part, want int64 }{
		{256 * mib, 16 * mib, 192 * mib},
		{1024 * mib, 16 * mib, 960 * mib},
		{64 * mib, 8 * mib, 48 * mib},
		{32 * mib, 16 * mib, 32 * mib},
	} {
		if got := BufferBudget(c.total, c.part); got != c.want {
			t.Errorf("BufferBudget(%d MiB, %d MiB) = %d MiB, want %d MiB", c.total/mib, c.part/mib, got/mib, c.want/mib)
		}
	}
	// The collector's limit sits under the budget, above the buffers.
	if got := MemoryLimit(256*mib, 192*mib); got != 232*mib {
		t.Errorf("MemoryLimit(256 MiB, 192 MiB) = %d MiB, want 232", got/mib)
	}
	if got := MemoryLimit(32*mib, 32*mib); got != 48*mib {
		t.Errorf("MemoryLimit(32 MiB, 32 MiB) = %d MiB, want 48", got/mib)
	}
}
