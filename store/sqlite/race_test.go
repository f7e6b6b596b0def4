//go:build race

package sqlite

// raceDetector tells the tests that run long loops that they run under the race detector, ten
// times slower: they do fewer rounds.
const raceDetector = true
