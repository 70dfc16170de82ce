// Package pool runs independent pieces of work on as many goroutines as
// the process runs at once: the one worker pool of the engine.
package pool

import (
	"runtime"
	"sync"
)

// Each calls fn for every item, on at most GOMAXPROCS goroutines at a
// time, and returns when every call has returned. fn must be safe for
// concurrent use; to stop early, it returns at once (after a cancellation,
// say) for the items left.
func Each[T any](items []T, fn func(T)) {
	workers := min(max(1, runtime.GOMAXPROCS(0)), len(items))
	next := make(chan T)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range next {
				fn(it)
			}
		}()
	}
	for _, it := range items {
		next <- it
	}
	close(next)
	wg.Wait()
}
