//go:build !race

package api

// raceDetector: see race_test.go.
const raceDetector = false
