package book

import "time"

// Now returns the book's time (its clock, to the microsecond the store keeps): what the API and
// the pages take as now when a window is left open.
func (b *Book) Now() time.Time { return b.clock() }
