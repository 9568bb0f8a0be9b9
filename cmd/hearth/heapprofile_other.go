//go:build !unix

package main

// heapProfileOnSignal: SIGUSR1 exists only on Unix.
func heapProfileOnSignal(string) {}
