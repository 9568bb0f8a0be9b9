//go:build !linux

package app

// releaseCodePages is Linux-only (codepages_linux.go).
func releaseCodePages() {}
