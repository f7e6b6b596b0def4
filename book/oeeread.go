package book

import "time"

// OEEReadTx is what a store reads for OEE, first-pass yield and their reports beyond stops and
// checks; ReadTx embeds it.
type OEEReadTx interface {
	// UnitCounts returns the events that counted units at operations at or after from and
	// before to, at cell ("" for every cell), by id: progress (Done: the units it added), a
	// completion (Done: the units the completion itself finished, the good ones the machine had
	// not counted), a scrap of some units or of all those left (Scrapped), each with what OEE
	// needs of its operation.
	UnitCounts(from, to time.Time, cell string) ([]UnitCount, error)
	// EndedOperations returns the operations that completed or were scrapped at or after from
	// and before to, with the SKU of their work order, by id.
	EndedOperations(from, to time.Time) ([]EndedOperation, error)
}

// UnitCount is units an event counted at an operation.
type UnitCount struct {
	At        time.Time
	Cell      string
	Operation int64
	Done      int
	Scrapped  int
	UnitTime  time.Duration
	// GoodBefore is true when the operation counted a good unit before the from of the read.
	GoodBefore bool
	// Rework is true for a rework operation, Failed for one whose check failed (it has a
	// non-conformance, whatever was decided).
	Rework, Failed bool
}

// EndedOperation is an operation that ended, for first-pass yield.
type EndedOperation struct {
	ID       int64
	Cell     string
	SKU      string
	Ended    time.Time
	Done     int // its good units: quantity less scrapped
	Scrapped int
	// Rework and Failed are as in UnitCount.
	Rework, Failed bool
}
