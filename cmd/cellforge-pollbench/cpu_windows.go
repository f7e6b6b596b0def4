package main

import (
	"fmt"
	"time"

	"golang.org/x/sys/windows"
)

// cpuTime returns the user and kernel CPU time the process has used.
func cpuTime() (time.Duration, error) {
	var creation, exit, kernel, user windows.Filetime
	if err := windows.GetProcessTimes(windows.CurrentProcess(), &creation, &exit, &kernel, &user); err != nil {
		return 0, fmt.Errorf("GetProcessTimes: %w", err)
	}
	return hundredNanos(kernel) + hundredNanos(user), nil
}

// hundredNanos is a span of time a Filetime holds in units of 100 ns.
func hundredNanos(f windows.Filetime) time.Duration {
	return time.Duration(uint64(f.HighDateTime)<<32|uint64(f.LowDateTime)) * 100
}
