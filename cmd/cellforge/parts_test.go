package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// logBuffer is a log that a test reads while runParts writes it.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// waitFor polls the log until it matches re.
func (l *logBuffer) waitFor(t *testing.T, re string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !regexp.MustCompile(re).MatchString(l.String()) {
		if time.Now().After(deadline) {
			t.Fatalf("the log never matched %q:\n%s", re, l)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// order checks that the log has lines matching each pattern, in this order.
func (l *logBuffer) order(t *testing.T, patterns ...string) {
	t.Helper()
	lines := strings.Split(l.String(), "\n")
	at := 0
	for _, p := range patterns {
		re := regexp.MustCompile(p)
		for at < len(lines) && !re.MatchString(lines[at]) {
			at++
		}
		if at == len(lines) {
			t.Fatalf("no line matching %q after the ones before it in:\n%s", p, l)
		}
		at++
	}
}

// recorder makes parts that, told to stop, note which parts had returned by then and wait
// until the test lets them go.
type recorder struct {
	mu       sync.Mutex
	returned []string
}

func (r *recorder) part(name string, bound time.Duration, release <-chan struct{}, told *[]string) part {
	return part{name: name, bound: bound, run: func(ctx context.Context) error {
		<-ctx.Done()
		r.mu.Lock()
		if told != nil {
			*told = append([]string(nil), r.returned...)
		}
		r.mu.Unlock()
		if release != nil {
			<-release
		}
		r.mu.Lock()
		r.returned = append(r.returned, name)
		r.mu.Unlock()
		return nil
	}}
}

func TestRunPartsStopsStageByStage(t *testing.T) {
	log := &logBuffer{}
	logger := slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	rec := &recorder{}
	release := make(chan struct{})
	var outputTold []string
	ctx, cancel := context.WithCancelCause(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- runParts(ctx, logger, 10*time.Millisecond,
			[]part{rec.part("input", time.Minute, release, nil), rec.part("other-input", time.Minute, nil, nil)},
			[]part{rec.part("output", time.Minute, nil, &outputTold)},
		)
	}()
	cancel(errors.New("test signal"))
	// While the input part holds on, the daemon says so, and the output is not told to stop.
	log.waitFor(t, `msg="stopping: waiting for" parts="input \([^)]*\)"`)
	rec.mu.Lock()
	returned := append([]string(nil), rec.returned...)
	rec.mu.Unlock()
	if len(returned) != 1 || returned[0] != "other-input" {
		t.Errorf("returned while the input holds on: %v, want other-input alone", returned)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(outputTold) != 2 {
		t.Errorf("the output was told to stop when %v had returned, want both inputs", outputTold)
	}
	log.order(t, `msg=stopping cause="test signal"`, `msg="part stopped" part=input `, `msg="part stopped" part=output `, `msg=stopped took=`)
	if strings.Contains(log.String(), "did not stop within its bound") {
		t.Errorf("a part outlived its bound:\n%s", log)
	}
}

// TestRunPartsGoesOnPastABound: a part that does not stop within its bound is named, and the
// next stage is told to stop anyway; it is still waited for.
func TestRunPartsGoesOnPastABound(t *testing.T) {
	log := &logBuffer{}
	logger := slog.New(slog.NewTextHandler(log, nil))
	rec := &recorder{}
	release := make(chan struct{})
	var outputTold []string
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- runParts(ctx, logger, 10*time.Millisecond,
			[]part{rec.part("stuck", time.Millisecond, release, nil)},
			[]part{rec.part("output", time.Minute, nil, &outputTold)},
		)
	}()
	cancel()
	log.waitFor(t, `msg="a part did not stop within its bound" part=stuck bound=1ms`)
	// The output stops while stuck holds on; runParts waits for stuck.
	deadline := time.Now().Add(30 * time.Second)
	for {
		rec.mu.Lock()
		n := len(rec.returned)
		rec.mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the output was not stopped while a part of the stage before outlived its bound")
		}
		time.Sleep(5 * time.Millisecond)
	}
	select {
	case err := <-done:
		t.Fatalf("runParts returned (%v) while a part still ran", err)
	default:
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(outputTold) != 0 {
		t.Errorf("the output was told to stop after %v", outputTold)
	}
}

// TestRunPartsNamesEveryPartItWaitsFor: while a stage stops, the report names the parts of the
// stages before that outlived their bounds too, since they are still waited for.
func TestRunPartsNamesEveryPartItWaitsFor(t *testing.T) {
	log := &logBuffer{}
	logger := slog.New(slog.NewTextHandler(log, nil))
	rec := &recorder{}
	releaseStuck, releaseOutput := make(chan struct{}), make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- runParts(ctx, logger, 10*time.Millisecond,
			[]part{rec.part("stuck", time.Millisecond, releaseStuck, nil)},
			[]part{rec.part("output", time.Minute, releaseOutput, nil)},
		)
	}()
	cancel()
	log.waitFor(t, `msg="stopping: waiting for" parts="[^"]*output \(`)
	for _, line := range strings.Split(log.String(), "\n") {
		if strings.Contains(line, "waiting for") && strings.Contains(line, "output (") && !strings.Contains(line, "stuck (") {
			t.Errorf("a report leaves out the part still running from the stage before: %s", line)
		}
	}
	close(releaseStuck)
	close(releaseOutput)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestRunPartsFailsOnAPartThatEndsEarly: a part that returns nil before it is told to stop
// stops the daemon like a failure, named.
func TestRunPartsFailsOnAPartThatEndsEarly(t *testing.T) {
	log := &logBuffer{}
	logger := slog.New(slog.NewTextHandler(log, nil))
	rec := &recorder{}
	done := make(chan error, 1)
	go func() {
		done <- runParts(context.Background(), logger, time.Second,
			[]part{rec.part("input", time.Minute, nil, nil)},
			[]part{{name: "quitter", bound: time.Minute, run: func(context.Context) error { return nil }}},
		)
	}()
	select {
	case err := <-done:
		if !errors.Is(err, errEndedEarly) || !strings.Contains(err.Error(), "quitter") {
			t.Fatalf("runParts = %v, want quitter ended early", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the daemon runs on without a part that ended:\n%s", log)
	}
	log.order(t, `level=ERROR msg=stopping cause="quitter: returned before it was told to stop"`, `msg=stopped`)
}

// TestRunPartsStopsOnAFailure: a part that fails stops the others, and its error is returned
// with its name.
func TestRunPartsStopsOnAFailure(t *testing.T) {
	log := &logBuffer{}
	logger := slog.New(slog.NewTextHandler(log, nil))
	rec := &recorder{}
	boom := errors.New("boom")
	err := runParts(context.Background(), logger, time.Second,
		[]part{rec.part("input", time.Minute, nil, nil)},
		[]part{{name: "broken", bound: time.Minute, run: func(context.Context) error { return boom }}},
	)
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "broken") {
		t.Fatalf("runParts = %v, want broken's error", err)
	}
	log.order(t, `level=ERROR msg=stopping cause="broken: boom"`, `msg=stopped`)
}
