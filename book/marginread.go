package book

// MarginReadTx is what a store reads for the margin of a drop; ReadTx embeds it.
type MarginReadTx interface{}
