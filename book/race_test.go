//go:build race

package book_test

// raceDetector tells the tests of large batches that they run under the race detector, many
// times slower: they use smaller batches.
const raceDetector = true
