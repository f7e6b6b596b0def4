package postgres

import "github.com/cellforge/cellforge/store/internal/pgutil"

// classify wraps err with book.ErrUnavailable when it says the database cannot be reached,
// went away or is shutting down; any other error comes back as it is (see pgutil.Classify).
func classify(err error) error { return pgutil.Classify(err) }
