package book

// OEEReadTx is what a store reads for OEE, first-pass yield and their reports beyond stops and
// checks; ReadTx embeds it.
type OEEReadTx interface{}
