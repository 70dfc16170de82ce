package pool

import (
	"sync/atomic"
	"testing"
)

func TestEachCallsEveryItemOnce(t *testing.T) {
	items := make([]int, 1000)
	for i := range items {
		items[i] = i
	}
	var sum, calls atomic.Int64
	Each(items, func(i int) {
		sum.Add(int64(i))
		calls.Add(1)
	})
	if calls.Load() != 1000 || sum.Load() != 999*1000/2 {
		t.Fatalf("calls %d, sum %d", calls.Load(), sum.Load())
	}
	Each([]int(nil), func(int) { t.Fatal("called for no item") })
}
