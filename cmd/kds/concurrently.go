package main

import "sync"

// concurrently runs fn for every item, at most n at once, and returns once
// every call has.
func concurrently[T any](items []T, n int, fn func(T)) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, n)
	for _, item := range items {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			fn(item)
		}()
	}
	wg.Wait()
}
