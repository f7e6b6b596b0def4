//go:build race

package certify

// raceDetector tells the tests of the largest inputs that they run under the race detector,
// many times slower, where the inputs race nothing: they leave them to make test's second pass,
// which runs the package's tests again without it, on PostgreSQL.
const raceDetector = true
