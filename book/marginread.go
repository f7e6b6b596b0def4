package book

// MarginReadTx is what a store reads for the margin of a drop; ReadTx embeds it.
type MarginReadTx interface {
	// MarginOperations returns every operation of a drop's work orders (remakes and reworks
	// included) with its work order's drop and SKU, by work order id and seq. Only what the
	// margin reads is set: the operation's ids, seq, step and rework, capability, quantity,
	// unit and set-up times, state, cell, units scrapped and done.
	MarginOperations(drop string) ([]QueueEntry, error)
	// MarginRuns returns the operation.changed events of the operations of a drop's work
	// orders that start or end a running interval (from or to running), by id: a start or
	// resume opens one, a pause (a person's, or a cell going down), a completion or a scrap
	// closes it.
	MarginRuns(drop string) ([]Event, error)
}
