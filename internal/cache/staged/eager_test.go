package staged

import (
	"slices"
	"testing"
)

func TestAddExtent(t *testing.T) {
	var xs []extent
	for _, x := range []extent{{10, 20}, {40, 50}, {0, 5}, {20, 30}, {45, 60}, {70, 80}, {5, 10}} {
		xs = addExtent(xs, x)
	}
	want := []extent{{0, 30}, {40, 60}, {70, 80}}
	if !slices.Equal(xs, want) {
		t.Fatalf("got %v, want %v", xs, want)
	}
}
