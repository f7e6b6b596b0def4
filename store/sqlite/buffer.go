package sqlite

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"slices"
	"strconv"
	"strings"
)

// Why a Write holds rows back: the driver, modernc.org/sqlite, compiles the SQL of every
// statement it runs, even of a *sql.Stmt, whose "prepared" form keeps only the text.
// Compiling a one-row INSERT costs several times what running it does. So a writeTx
// gathers the rows of each table and sends them in multi-row statements, which pay the
// compilation of a statement once per batch.
//
// Compiling a batch still costs per value: SQLite parses and codes every value of a
// VALUES list, and the driver binds each parameter after a search through all of them.
// So the values are made few:
//   - the rows of a buffer are grouped before they are sent, so that rows alike (the
//     operations of one step of one product, the events of one dispatch to one cell) are
//     neighbours and share a batch;
//   - a column that holds the same value in every row of a batch is written once, outside
//     the VALUES list, which is left with little more than the rows' ids;
//   - integers and NULL are written into the SQL as literals, which cost SQLite no more
//     than a placeholder and spare the driver the binding; strings are bound, never
//     written into the SQL;
//   - a batch ends before a row that would make more columns differ than another
//     statement costs, or make the statement longer than maxStmtValues values or
//     maxStmtRows rows.
//
// And a batch that breaks a constraint rolls the whole transaction back (INSERT OR
// ROLLBACK), with foreign keys checked at commit, so that SQLite need not journal what each
// batch changes to undo it alone: the Write fails anyway.

// The shape of batches, measured with BenchmarkImport (here) and BenchmarkImport100k (of
// book): longer statements pay the compilation of a statement less often, but compile
// into programs too large for the small allocations of the driver's C memory allocator.
const (
	maxStmtValues = 1000 // values in a statement, about
	maxStmtRows   = 500  // rows in a statement
	stmtValues    = 30   // what a statement costs, in values of a VALUES list
)

// flushValues is how many values a buffer gathers before the transaction sends all it
// holds: it bounds the memory of a large import.
const flushValues = 1 << 16

// table is where buffered rows go: a table and the columns of a row. For an update, the
// first keys columns select the row to change and the others are set.
type table struct {
	name string
	cols []string
	keys int
	// groupBy are the columns, by their index in cols, that tell what kind a row is and take
	// few values in a Write (state, step, cell, drop, batch); not ids, times or free text,
	// which would make nearly every row a kind of its own. Rows are grouped by kind before
	// they are sent, kinds in the order of these columns' values.
	groupBy []int
}

// newTable returns the table of name with cols, the first keys of which select the row to
// change in an update, and its rows grouped by the columns groupBy.
func newTable(name string, keys int, cols []string, groupBy ...string) table {
	t := table{name: name, cols: cols, keys: keys}
	for _, g := range groupBy {
		c := slices.Index(cols, g)
		if c < 0 {
			panic(fmt.Sprintf("sqlite: no column %s in %s", g, name))
		}
		t.groupBy = append(t.groupBy, c)
	}
	return t
}

var (
	ordersTable = newTable("orders", 0,
		[]string{"order_id", "drop_id", "sku", "quantity", "customer", "priority", "due", "notes", "hash",
			"intake_at", "batch"},
		"drop_id", "batch", "sku")
	workOrdersTable = newTable("work_orders", 0,
		[]string{"id", "order_id", "drop_id", "sku", "quantity", "priority", "due", "state", "intake_at",
			"completed_at", "remake_of"},
		"state", "drop_id", "sku")
	operationsTable = newTable("operations", 0,
		[]string{"id", "work_order", "seq", "name", "capability", "quantity", "unit_time_ns", "setup_ns",
			"changeover_attr", "changeover_value", "state", "cell", "reason", "scrapped", "units_done",
			"queued_at", "started_at", "ended_at", "version", "due", "priority", "step", "rework_of"},
		"state", "cell", "seq", "name", "capability", "unit_time_ns", "setup_ns", "changeover_attr",
		"changeover_value")
	// operationUpdatesTable changes the operation of an id and a version (the first); the
	// last version is the new one.
	operationUpdatesTable = newTable("operations", 2,
		[]string{"id", "version", "name", "capability", "quantity", "unit_time_ns", "setup_ns",
			"changeover_attr", "changeover_value", "state", "cell", "reason", "scrapped", "units_done",
			"queued_at", "started_at", "ended_at", "version"},
		"version", "state", "cell", "name", "capability", "unit_time_ns", "setup_ns", "changeover_attr",
		"changeover_value", "quantity")
	eventsTable = newTable("events", 0,
		[]string{"id", "at", "actor", "kind", "cell", "drop_id", "order_id", "work_order", "operation",
			"from_state", "to_state", "reason", "quantity", "batch"},
		"kind", "actor", "drop_id", "batch", "cell", "from_state", "to_state")
)

// value is a buffered value: NULL, an integer or a string. A struct rather than an any, so
// that holding an import's rows allocates nothing per value.
type value struct {
	kind valueKind
	i    int64
	s    string
}

type valueKind uint8

const (
	null valueKind = iota
	integer
	text
)

// valueOf converts v, which is nil, an int, an int64 or a string.
func valueOf(v any) value {
	switch v := v.(type) {
	case nil:
		return value{}
	case int:
		return value{kind: integer, i: int64(v)}
	case int64:
		return value{kind: integer, i: v}
	case string:
		return value{kind: text, s: v}
	}
	// no %T of v here: it would make every value passed to add escape to the heap
	panic("sqlite: a buffered value is nil, an int, an int64 or a string")
}

// compareValues orders values: NULL, then integers, then strings.
func compareValues(x, y value) int {
	if c := cmp.Compare(x.kind, y.kind); c != 0 {
		return c
	}
	if c := cmp.Compare(x.i, y.i); c != 0 {
		return c
	}
	return strings.Compare(x.s, y.s)
}

// rowBuffer holds the rows for a table that a transaction has not sent yet, len(cols)
// values a row.
type rowBuffer struct {
	table
	vals []value
	// spare is memory for group to order vals into
	spare []value
}

// add appends a row of values as valueOf takes them.
func (b *rowBuffer) add(vals ...any) {
	if len(vals) != len(b.cols) {
		panic(fmt.Sprintf("sqlite: %d values for the %d columns of %s", len(vals), len(b.cols), b.name))
	}
	for _, v := range vals {
		b.vals = append(b.vals, valueOf(v))
	}
}

// set replaces the values of row i from column c on.
func (b *rowBuffer) set(i, c int, vals ...any) {
	row := b.row(i)
	for j, v := range vals {
		row[c+j] = valueOf(v)
	}
}

// len is the number of rows held.
func (b *rowBuffer) len() int { return len(b.vals) / len(b.cols) }

// row returns the values of row i.
func (b *rowBuffer) row(i int) []value { n := len(b.cols); return b.vals[i*n : (i+1)*n] }

// full tells whether the buffer holds enough for the transaction to send it.
func (b *rowBuffer) full() bool { return len(b.vals) >= flushValues }

// reset empties the buffer, keeping the memory for the next rows.
func (b *rowBuffer) reset() {
	clear(b.vals) // lets go of the strings
	b.vals = b.vals[:0]
}

// group orders the rows so that those of a kind (alike in the columns of groupBy) are
// neighbours, in the order they were added: kinds in the order of their values, each kind's
// rows as added, ids ascending, which keeps SQLite appending to its b-trees.
func (b *rowBuffer) group() {
	n := b.len()
	if n < 2 {
		return
	}
	// the kind of each row, by a hash of its values in groupBy; two kinds that shared a hash
	// would be taken for one, which costs batchEnd only a longer VALUES list
	kindOf := make(map[uint64]int32)
	var firsts []int32 // first row of each kind
	kinds := make([]int32, n)
	var h maphash.Hash
	h.SetSeed(hashSeed)
	for i := range n {
		row := b.row(i)
		h.Reset()
		for _, c := range b.groupBy {
			v := row[c]
			var buf [17]byte
			buf[0] = byte(v.kind)
			binary.LittleEndian.PutUint64(buf[1:], uint64(v.i))
			binary.LittleEndian.PutUint64(buf[9:], uint64(len(v.s)))
			h.Write(buf[:])
			h.WriteString(v.s)
		}
		sum := h.Sum64()
		k, ok := kindOf[sum]
		if !ok {
			k = int32(len(firsts))
			kindOf[sum] = k
			firsts = append(firsts, int32(i))
		}
		kinds[i] = k
	}
	if len(firsts) == 1 {
		return
	}
	// kinds in the order of their values, then rows by kind (a counting sort)
	byValue := make([]int32, len(firsts))
	for k := range byValue {
		byValue[k] = int32(k)
	}
	slices.SortFunc(byValue, func(x, y int32) int {
		rx, ry := b.row(int(firsts[x])), b.row(int(firsts[y]))
		for _, c := range b.groupBy {
			if d := compareValues(rx[c], ry[c]); d != 0 {
				return d
			}
		}
		return cmp.Compare(x, y)
	})
	next := make([]int, len(firsts)) // the place of the next row of each kind
	for _, k := range kinds {
		next[k]++
	}
	at := 0
	for _, k := range byValue {
		at, next[k] = at+next[k], at
	}
	ncol := len(b.cols)
	sorted := slices.Grow(b.spare[:0], len(b.vals))[:len(b.vals)]
	for i, k := range kinds {
		copy(sorted[next[k]*ncol:], b.row(i))
		next[k]++
	}
	clear(b.vals)
	b.vals, b.spare = sorted, b.vals[:0]
}

// hashSeed seeds the hashes of group.
var hashSeed = maphash.MakeSeed()

// batches groups the rows and calls fn with them a batch at a time, with the columns that
// are the same in every row of the batch, and stops at the first error.
func (b *rowBuffer) batches(fn func(vals []value, fixed []bool) error) error {
	b.group()
	ncol, n := len(b.cols), b.len()
	fixed := make([]bool, ncol)
	for from := 0; from < n; {
		to := b.batchEnd(from, fixed)
		if err := fn(b.vals[from*ncol:to*ncol], fixed); err != nil {
			return err
		}
		from = to
	}
	return nil
}

// batchEnd returns the end of the batch that begins with row from, and sets fixed to tell
// the columns that are the same in all its rows.
func (b *rowBuffer) batchEnd(from int, fixed []bool) int {
	ncol, n := len(b.cols), b.len()
	first := b.row(from)
	for c := range fixed {
		fixed[c] = true
	}
	varying, rows := 0, 1
	for r := from + 1; r < n && rows < maxStmtRows; r++ {
		row := b.row(r)
		more := 0
		for c, f := range fixed {
			if f && row[c] != first[c] {
				more++
			}
		}
		if more > 0 && rows*more > stmtValues {
			// the rows from r on are of another kind: another statement costs less than
			// the values the batch would take in more
			break
		}
		if v := varying + more; (rows+1)*v+ncol-v > maxStmtValues {
			break
		}
		if more > 0 {
			for c, f := range fixed {
				if f && row[c] != first[c] {
					fixed[c] = false
				}
			}
			varying += more
		}
		rows++
	}
	if varying == 0 && rows > 1 {
		// identical rows: the VALUES list needs a column
		for c := range fixed {
			fixed[c] = false
		}
	}
	return from + rows
}

// batch is a statement for some rows of a table: the SQL text and its arguments, written
// together so that the arguments follow their placeholders.
type batch struct {
	t    table
	vals []value // len(t.cols) values a row
	n    int     // rows
	// fixed tells the columns whose value is the same in every row, written once; the
	// others come from a VALUES list, column valuesCol[c] of its rows.
	fixed     []bool
	valuesCol []int

	sql  strings.Builder
	args []any
}

func newBatch(t table, vals []value, fixed []bool) *batch {
	b := &batch{t: t, vals: vals, n: len(vals) / len(t.cols), fixed: fixed, valuesCol: make([]int, len(t.cols))}
	k := 0
	for c, f := range fixed {
		if !f {
			k++
			b.valuesCol[c] = k
		}
	}
	return b
}

// value writes v: an integer or NULL as a literal, a string as a placeholder.
func (b *batch) value(v value) {
	switch v.kind {
	case null:
		b.sql.WriteString("NULL")
	case integer:
		var buf [20]byte
		b.sql.Write(strconv.AppendInt(buf[:0], v.i, 10))
	case text:
		b.sql.WriteByte('?')
		b.args = append(b.args, v.s)
	}
}

// values writes the VALUES list of the columns that are not fixed.
func (b *batch) values() {
	ncol := len(b.t.cols)
	b.sql.WriteString("(VALUES ")
	for r := range b.n {
		if r > 0 {
			b.sql.WriteByte(',')
		}
		b.sql.WriteByte('(')
		first := true
		for c := range ncol {
			if b.fixed[c] {
				continue
			}
			if !first {
				b.sql.WriteByte(',')
			}
			first = false
			b.value(b.vals[r*ncol+c])
		}
		b.sql.WriteByte(')')
	}
	b.sql.WriteByte(')')
}

// expr writes the value of column c in an UPDATE: the value when fixed, else its column of
// the VALUES list v.
func (b *batch) expr(c int) {
	if b.fixed[c] {
		b.value(b.vals[c])
		return
	}
	b.sql.WriteString("v.column")
	b.sql.WriteString(strconv.Itoa(b.valuesCol[c]))
}

// insert returns the INSERT of the rows:
//
//	INSERT OR ROLLBACK INTO t (varying columns, fixed columns)
//	SELECT *, ?, 1 FROM (VALUES (1, ?), (2, ?))
//
// or a plain INSERT ... VALUES when no column is fixed or there is only one row.
func (b *batch) insert() (string, []any) {
	b.sql.WriteString("INSERT OR ROLLBACK INTO " + b.t.name + " (")
	if b.n == 1 || !slices.Contains(b.fixed, true) {
		b.sql.WriteString(strings.Join(b.t.cols, ", ") + ") VALUES ")
		for r := range b.n {
			if r > 0 {
				b.sql.WriteByte(',')
			}
			b.sql.WriteByte('(')
			for c := range b.t.cols {
				if c > 0 {
					b.sql.WriteByte(',')
				}
				b.value(b.vals[r*len(b.t.cols)+c])
			}
			b.sql.WriteByte(')')
		}
		return b.sql.String(), b.args
	}
	var varying, fixed []string
	for c, col := range b.t.cols {
		if b.fixed[c] {
			fixed = append(fixed, col)
		} else {
			varying = append(varying, col)
		}
	}
	b.sql.WriteString(strings.Join(append(varying, fixed...), ", ") + ") SELECT *")
	for c := range b.t.cols {
		if b.fixed[c] {
			b.sql.WriteString(", ")
			b.value(b.vals[c])
		}
	}
	b.sql.WriteString(" FROM ")
	b.values()
	return b.sql.String(), b.args
}

// update returns the UPDATE of the rows:
//
//	UPDATE OR ROLLBACK t SET a = v.column3, b = ? FROM (VALUES (1, 4, ?), ...) AS v
//	WHERE t.key1 = v.column1 AND t.key2 = v.column2
//
// without FROM for a single row, and as
//
//	UPDATE OR ROLLBACK t SET a = ?, b = ? WHERE t.key2 = 4 AND t.key1 IN (1, 2, 3)
//
// when the rows differ in their first key only (the operations that one dispatch queues at
// one cell), which SQLite runs faster than a join. The keys of the rows must differ: a
// statement changes a row once, however many rows of the VALUES list match it.
func (b *batch) update() (string, []any) {
	b.sql.WriteString("UPDATE OR ROLLBACK " + b.t.name + " SET ")
	for c := b.t.keys; c < len(b.t.cols); c++ {
		if c > b.t.keys {
			b.sql.WriteString(", ")
		}
		b.sql.WriteString(b.t.cols[c] + " = ")
		b.expr(c)
	}
	if b.n > 1 && !b.fixed[0] && !slices.Contains(b.fixed[1:], false) {
		b.sql.WriteString(" WHERE ")
		for c := 1; c < b.t.keys; c++ {
			b.sql.WriteString(b.t.name + "." + b.t.cols[c] + " = ")
			b.expr(c)
			b.sql.WriteString(" AND ")
		}
		b.sql.WriteString(b.t.name + "." + b.t.cols[0] + " IN (")
		for r := range b.n {
			if r > 0 {
				b.sql.WriteByte(',')
			}
			b.value(b.vals[r*len(b.t.cols)])
		}
		b.sql.WriteByte(')')
		return b.sql.String(), b.args
	}
	if slices.Contains(b.fixed, false) {
		b.sql.WriteString(" FROM ")
		b.values()
		b.sql.WriteString(" AS v")
	}
	b.sql.WriteString(" WHERE ")
	for c := range b.t.keys {
		if c > 0 {
			b.sql.WriteString(" AND ")
		}
		b.sql.WriteString(b.t.name + "." + b.t.cols[c] + " = ")
		b.expr(c)
	}
	return b.sql.String(), b.args
}
