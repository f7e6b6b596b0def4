# CellForge: the two commands a newcomer runs are `make run` and `make test`.

GO      ?= go
BIN     := bin/cellforge
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
# Every go command builds without the clone's directory in its output (-trimpath), so that its
# build cache serves every clone of the repository on the machine: a fresh clone recompiles
# only what differs (the six platforms' builds of `make test` take 20 s then, against 110 s).
export GOFLAGS += -trimpath
# Seconds each fuzzer runs in `make test`; `make fuzz` runs them longer.
FUZZTIME ?= 10s

.PHONY: all assets assets-check build cross run test unit unit-and-fuzz unit-passes unit-386 unit-postgres unit-arm e2e e2e-and-builds deb deb-check fuzz fuzz-long bench vet clean

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

## cross: build every package for each platform the daemon ships for (scripts/cross.sh: 64-bit
## and 32-bit Linux on PCs and Raspberry Pis, macOS on Apple silicon and Intel, Windows); fails
## naming the targets that did not build.
cross:
	scripts/cross.sh

## run: serve the demo factory on 127.0.0.1:8080 with everything embedded (SQLite under ./data).
run: build
	./$(BIN) serve --config configs/demo.yaml --data ./data --listen 127.0.0.1:8080

## test: every test: the unit tests with the race detector on, then the book's again on
## PostgreSQL with each fuzzer for $(FUZZTIME) beside them at the lowest priority
## (scripts/unit-and-fuzz.sh), then the browser tests with the six platforms' builds and the
## Debian package's check beside them at the lowest priority (scripts/e2e-and-builds.sh).
test: assets-check vet unit-and-fuzz e2e-and-builds

vet:
	$(GO) vet ./...

## unit: the unit tests twice, on one PostgreSQL server that scripts/pg.sh starts for the run
## and removes after (store/postgres/pgtest would otherwise start one per test binary). First
## every package with the race detector on, the book on SQLite (store/postgres's own tests and
## the store conformance suite on both stores included; scripts/unit-race.sh starts the
## packages that mostly wait, the daemon's tests first among them, at once beside the others).
## Then, beside those if they still run, every package but the daemon's again as 32-bit x86
## programs under qemu-i386, the book on PostgreSQL, without the race detector
## (scripts/unit-386.sh): what is new to a package there is its integers' width and which
## store answers. The tests of the largest inputs, which race nothing, run in the second pass
## only. make test's second pass is make unit-postgres instead: with the 32-bit tests, in each
## of the five places tried, make test took more than 20 minutes on 2 cores.
unit:
	scripts/pg.sh $(MAKE) --no-print-directory unit-passes

unit-and-fuzz:
	scripts/pg.sh scripts/unit-and-fuzz.sh $(FUZZTIME)

unit-passes:
	scripts/unit-race.sh scripts/unit-386.sh

## unit-386: make unit's second pass alone: every package but the daemon's as 32-bit x86
## programs under qemu-i386, the book's on PostgreSQL (scripts/unit-386.sh). Not part of test.
unit-386:
	scripts/pg.sh scripts/unit-386.sh

## unit-postgres: the tests of the book, the API, the web app, the cells and the stores that
## open their store through book/booktest, on PostgreSQL, as a 64-bit program (make test's
## second pass; on
## CELLFORGE_TEST_POSTGRES's server when it is set; else each test binary starts its own).
PG_PACKAGES = $(shell $(GO) list -f '{{.ImportPath}} {{.TestImports}} {{.XTestImports}}' \
	./book/... ./api/... ./cells/... ./store/... | awk '/book\/booktest/ {print $$1}')

unit-postgres:
	CELLFORGE_TEST_STORE=postgres $(GO) test -count=1 $(PG_PACKAGES)

## unit-arm: every package's tests but the daemon's built as a 32-bit ARM program and run under
## qemu-arm, the book's on PostgreSQL (scripts/unit-arm.sh, under scripts/pg.sh): the 32-bit
## integers. Not part of test: under emulation it takes longer than the rest of test together.
unit-arm:
	scripts/pg.sh scripts/unit-arm.sh

## e2e: the web app in a real browser (Debian's chromium driven by playwright-core) against the
## daemon; screenshots go to out/e2e/.
e2e:
	scripts/e2e.sh

e2e-and-builds:
	scripts/e2e-and-builds.sh

## deb: the Debian packages of the daemon for amd64, arm64 and armhf in out/deb/
## (scripts/deb.sh; packaging/debian holds the unit and the maintainer scripts).
deb:
	scripts/deb.sh

## deb-check: builds the amd64 package and checks it with dpkg-deb, lintian and
## systemd-analyze, then installs, runs, upgrades, removes and purges it (root; one at a time).
deb-check:
	scripts/deb-check.sh

fuzz:
	scripts/fuzz.sh $(FUZZTIME)

fuzz-long:
	scripts/fuzz.sh 5m

## bench: import rate and API latency against the running daemon; figures go to docs/BENCHMARKS.md.
bench: build
	scripts/bench.sh

clean:
	rm -rf bin .bench out/deb
