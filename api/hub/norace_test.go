//go:build !race

package hub

// raceDetector: see race_test.go.
const raceDetector = false
