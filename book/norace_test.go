//go:build !race

package book_test

// raceDetector: see race_test.go.
const raceDetector = false
