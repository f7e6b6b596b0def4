//go:build !linux

package pgtest

// memDir returns "": only Linux's /dev/shm is looked for.
func memDir() string { return "" }
