package postgres

// rowLimit is a LIMIT of at most limit rows, NULL (all of them) when limit <= 0, as the book's
// filters mean it.
func rowLimit(limit int) *int64 {
	if limit <= 0 {
		return nil
	}
	n := int64(limit)
	return &n
}

// nullString stores "" as NULL, for the columns that partial indexes leave out when empty.
func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// nullInt64 stores 0 as NULL, for the columns (ids mostly) that partial indexes leave out when
// empty.
func nullInt64(v int64) *int64 {
	if v == 0 {
		return nil
	}
	return &v
}
