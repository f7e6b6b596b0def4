//go:build !race

package certify

// raceDetector: see race_test.go.
const raceDetector = false
