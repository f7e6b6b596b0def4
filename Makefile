# CellForge: the two commands a newcomer runs are `make run` and `make test`.

GO      ?= go
BIN     := bin/cellforge
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
# Seconds each fuzzer runs in `make test`; `make fuzz` runs them longer.
FUZZTIME ?= 10s

.PHONY: all assets assets-check build run test unit e2e fuzz fuzz-long bench vet clean

all: build

## assets: copy the web app's front-end libraries (npm, pinned by api/web/package-lock.json) into
## api/web/static/vendor/ after the lock file changed; the copies are committed, so that go build
## and go install need no npm. assets-check fails when a committed copy is not the pinned file.
assets:
	scripts/assets.sh

assets-check:
	scripts/assets.sh --check

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/cellforge

## run: serve the demo factory on 127.0.0.1:8080 with everything embedded (SQLite under ./data).
run: build
	./$(BIN) serve --config configs/demo.yaml --data ./data --listen 127.0.0.1:8080

## test: every test, the race detector on, the browser tests, then each fuzzer for $(FUZZTIME).
test: assets-check vet unit e2e fuzz

vet:
	$(GO) vet ./...

unit:
	$(GO) test -race -count=1 ./...

## e2e: the web app in a real browser (Debian's chromium driven by playwright-core) against the
## daemon; screenshots go to out/e2e/.
e2e:
	scripts/e2e.sh

fuzz:
	scripts/fuzz.sh $(FUZZTIME)

fuzz-long:
	scripts/fuzz.sh 5m

## bench: import rate and API latency against the running daemon; figures go to docs/BENCHMARKS.md.
bench: build
	scripts/bench.sh

clean:
	rm -rf bin .bench
