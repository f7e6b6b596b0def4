//go:build race

package hub

// raceDetector tells the test of the largest batch that it runs under the race detector, many
// times slower: it leaves that batch to the pass without it (make test runs the package's tests
// again on PostgreSQL without the race detector).
const raceDetector = true
