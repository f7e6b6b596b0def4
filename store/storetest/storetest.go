// Package storetest is the conformance suite of the order book's stores: the behaviours every
// book.Store must have, whatever keeps the data, as tests that store/sqlite and store/postgres
// both run (TestConformance), so that the two answer alike: the same rows, the same order, the
// same times to the microsecond, the same errors. What is about one store alone (SQLite's
// file, its connections, its query plans) stays in that store's own tests.
//
// It imports only book and the standard library; it is for tests only.
package storetest

import (
	"log/slog"
	"runtime/debug"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
)

// Store is what the suite asks of a store: the book's reads and writes, and Close. The
// behaviours of other abilities (the sign-in lockouts) ask for them by type assertion and
// fail when the store lacks them.
type Store interface {
	book.Store
	Close() error
}

// Opener opens the stores of the store under test.
type Opener struct {
	// Open opens a new, empty store and returns it with its address; it is closed when t
	// ends (closing it before is harmless).
	Open func(t testing.TB) (Store, string)
	// Reopen opens the store at addr again, as a restarted daemon does; the caller closes it.
	Reopen func(t testing.TB, addr string) (Store, error)
	// ErrConflict is the store's error for a version mismatch or an order id stored twice.
	ErrConflict error
	// OpenLogging opens a new, empty store as Open does, logging to logger.
	OpenLogging func(t testing.TB, logger *slog.Logger) (Store, string)
	// SetClock makes now the clock a store s opened reads the time of its sessions' expiry by.
	SetClock func(s Store, now func() time.Time)
}

// Run runs every behaviour of the suite as a subtest of t on stores o opens. A behaviour that
// panics fails alone, with the panic and its stack, and the others still run: a store missing
// a method shows which behaviours it fails rather than stopping the suite at the first.
func Run(t *testing.T, o Opener) {
	for _, b := range behaviours {
		t.Run(b.name, func(t *testing.T) {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("panic: %v\n%s", r, debug.Stack())
				}
			}()
			b.test(t, o)
		})
	}
}

// behaviours are the suite's tests, by name.
var behaviours = []struct {
	name string
	test func(*testing.T, Opener)
}{
	{"OrdersRoundTrip", testOrdersRoundTrip},
	{"WorkOrderRoundTrip", testWorkOrderRoundTrip},
	{"NotFound", testNotFound},
	{"InsertWorkOrderNeedsOrder", testInsertWorkOrderNeedsOrder},
	{"WorkOrdersFilter", testWorkOrdersFilter},
	{"UpdateWorkOrder", testUpdateWorkOrder},
	{"UpdateOperation", testUpdateOperation},
	{"Queue", testQueue},
	{"ReadyOperations", testReadyOperations},
	{"DropUnits", testDropUnits},
	{"CellLoads", testCellLoads},
	{"Completions", testCompletions},
	{"Events", testEvents},
	{"Idempotency", testIdempotency},
	{"InsertOrderDuplicate", testInsertOrderDuplicate},
	{"Counts", testCounts},
	{"OpenOperations", testOpenOperations},
	{"FinishedOperations", testFinishedOperations},
	{"Losses", testLosses},
	{"WriteRollsBack", testWriteRollsBack},
	{"WriteCancelled", testWriteCancelled},
	{"ReadsSeeWholeWrites", testReadsSeeWholeWrites},
	{"OwedLabels", testOwedLabels},
	{"OwedLabelsOfARemake", testOwedLabelsOfARemake},
	{"CellsDownAndReports", testCellsDownAndReports},
	{"CertificateRevisions", testCertificateRevisions},
	{"ReadingsReplaceByQuantity", testReadingsReplaceByQuantity},
	{"OwedSlips", testOwedSlips},
	{"UnitCounts", testUnitCounts},
	{"EndedOperations", testEndedOperations},
	{"MarginOperations", testMarginOperations},
	{"MarginRuns", testMarginRuns},
	{"RepairsFilters", testRepairsFilters},
	{"CarePlanHoldingsAndMeasures", testCarePlanHoldingsAndMeasures},
	{"StopsSelect", testStopsSelect},
	{"OperationLots", testOperationLots},
	{"NotesAndPhotosSurviveReopen", testNotesAndPhotosSurviveReopen},
	{"InsertOperationAt", testInsertOperationAt},
	{"ChecksAndNonConformances", testChecksAndNonConformances},
	{"RepairsSurviveReopen", testRepairsSurviveReopen},
	{"RepairExternals", testRepairExternals},
	{"SignInFailures", testSignInFailures},
	{"Sessions", testSessions},
	{"StopsStore", testStopsStore},
	{"UnitsStoreAndScrap", testUnitsStoreAndScrap},
	{"InsertManyUnits", testInsertManyUnits},
	{"LiveUnitCount", testLiveUnitCount},
	{"WithdrawOrder", testWithdrawOrder},
	{"WithdrawnLeavesOpenWork", testWithdrawnLeavesOpenWork},
}
