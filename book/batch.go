package book

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"math"
	"slices"
	"time"

	"github.com/cellforge/cellforge/book/intake"
)

// DefaultMaxErrors is how many problems a refused batch lists when the request does not say.
const DefaultMaxErrors = 1000

// DefaultMaxRows is how many rows a batch may have when the request does not say: ten times a
// studio's biggest batch. A batch is checked whole before any of it is stored, so its rows are
// held until the last one is read; this bounds what they take, whatever the upload limit.
const DefaultMaxRows = 1_000_000

// BatchError refuses a whole batch: nothing was stored. It lists the first problems by line,
// each with its line, column and reason, and counts every one.
type BatchError struct {
	Drop string
	// Errors are the first problems by line, at most the request's MaxErrors.
	Errors []intake.RowError
	// Problems counts every problem of the batch, listed or not.
	Problems int
	// BadRows counts the bad rows: a row with several problems counts once.
	BadRows int
}

// Truncated says whether Errors leaves out some of the problems.
func (e *BatchError) Truncated() bool { return len(e.Errors) < e.Problems }

func (e *BatchError) Error() string {
	msg := fmt.Sprintf("batch for drop %q refused, nothing was stored: %d problem(s) in %d row(s)", e.Drop, e.Problems, e.BadRows)
	if len(e.Errors) > 0 {
		msg += "; first: " + e.Errors[0].Error()
	}
	return msg
}

// BatchProblems collects the problems of a batch: it counts them all and keeps the first max
// by line, so that a batch of millions of bad rows costs no more than max of them. The book's
// import and the network hub's import refuse their batches with it, so that both list the same
// problems the same way.
type BatchProblems struct {
	max   int
	kept  []intake.RowError // the first max by line, and those added since the last trim
	count int
	rows  int
}

// NewBatchProblems returns an empty collection that keeps the first max problems by line;
// DefaultMaxErrors when max is zero or less.
func NewBatchProblems(max int) *BatchProblems {
	if max <= 0 {
		max = DefaultMaxErrors
	}
	return &BatchProblems{max: max}
}

// Row adds the problems of one bad row; none adds nothing.
func (p *BatchProblems) Row(errs ...intake.RowError) {
	if len(errs) == 0 {
		return
	}
	p.rows++
	p.count += len(errs)
	p.kept = append(p.kept, errs...)
	if len(p.kept) >= 2*p.max {
		p.trim()
	}
}

// trim keeps the first max problems by line; of those on one line, the first added.
func (p *BatchProblems) trim() {
	slices.SortStableFunc(p.kept, func(a, b intake.RowError) int { return cmp.Compare(a.Line, b.Line) })
	p.kept = slices.Clip(p.kept[:min(len(p.kept), p.max)])
}

// Err returns the BatchError of the problems refusing a batch of drop, or nil when there are
// none.
func (p *BatchProblems) Err(drop string) error {
	if p.count == 0 {
		return nil
	}
	p.trim()
	return &BatchError{Drop: drop, Errors: p.kept, Problems: p.count, BadRows: p.rows}
}

// heldRows holds the well-formed rows of a batch while it is checked, in a few bytes more than
// their text: a batch of millions of rows that is good until its last row is all held before it
// is refused. Each row is its line and where its record starts in an arena of chunks; the
// record packs a flags byte, the order id, and for a row held whole the SKU's index, the
// numbers as varints and the strings present, each after its length. Held as intake.Rows with
// a map of their ids, the 3.8 million rows of a 32 MiB batch of the shortest rows took the
// daemon to 3.5 GB; packed, to 220 MB (docs/BENCHMARKS.md).
//
// It also finds an order id held before. A row that is bad for another reason is held by its
// id alone, so that a later row with the same id is found.
type heldRows struct {
	rows  [][]heldRow // in chunks of rowChunk, so that growing copies nothing
	n     int
	text  [][]byte // the arena, in chunks of textChunk; a record lies within one
	skus  []string // by index
	skuIx map[string]int
	ids   idSet
}

// heldRow is one row of heldRows.
type heldRow struct {
	line uint32
	text uint32 // where its record starts: chunk<<textBits | offset in the chunk
}

// The flags of a held record.
const (
	heldBad      byte = 1 << iota // not to be stored: it has a problem, or the book holds it already
	heldWhole                     // all the row's values follow the id
	heldCustomer                  // a customer follows
	heldNotes                     // notes follow
	heldDue                       // a due time follows, RFC 3339 in UTC
)

const (
	rowChunk  = 8192
	textBits  = 20
	textChunk = 1 << textBits
	// maxHeldLines and maxHeldText bound what a heldRow can say. A batch under any sensible
	// upload limit is far below both.
	maxHeldLines = math.MaxUint32 - 1
	maxHeldText  = (math.MaxUint32 >> textBits) * textChunk
)

func newHeldRows() *heldRows {
	return &heldRows{skuIx: make(map[string]int), ids: newIDSet()}
}

// errHeldTooLarge refuses a batch whose rows do not fit heldRows.
var errHeldTooLarge = fmt.Errorf("%w: the batch is too large to check: split it", ErrInvalid)

// add holds a row, whole or, when bad, by its id alone.
func (h *heldRows) add(r intake.Row, bad bool) error {
	if uint64(r.Line) > maxHeldLines {
		return errHeldTooLarge
	}
	var due string
	flags := heldBad
	size := 1 + binary.MaxVarintLen64 + len(r.OrderID)
	if !bad {
		flags = heldWhole
		if r.Customer != "" {
			flags |= heldCustomer
		}
		if r.Notes != "" {
			flags |= heldNotes
		}
		if !r.Due.IsZero() {
			flags |= heldDue
			due = r.Due.UTC().Format(time.RFC3339Nano)
		}
		size += 6*binary.MaxVarintLen64 + len(r.Customer) + len(r.Notes) + len(due)
	}
	// The record goes in the last chunk, or a new one when it may not fit.
	last := len(h.text) - 1
	if last < 0 || len(h.text[last])+size > textChunk {
		if uint64(len(h.text)+1)*textChunk > maxHeldText {
			return errHeldTooLarge
		}
		h.text = append(h.text, make([]byte, 0, textChunk))
		last++
	}
	hr := heldRow{line: uint32(r.Line), text: uint32(last)<<textBits | uint32(len(h.text[last]))}
	t := append(h.text[last], flags)
	t = appendString(t, r.OrderID)
	if !bad {
		ix, ok := h.skuIx[r.SKU]
		if !ok {
			ix = len(h.skus)
			h.skus = append(h.skus, r.SKU)
			h.skuIx[r.SKU] = ix
		}
		t = binary.AppendUvarint(t, uint64(ix))
		t = binary.AppendVarint(t, int64(r.Quantity))
		t = binary.AppendVarint(t, int64(r.Priority))
		if flags&heldCustomer != 0 {
			t = appendString(t, r.Customer)
		}
		if flags&heldNotes != 0 {
			t = appendString(t, r.Notes)
		}
		if flags&heldDue != 0 {
			t = appendString(t, due)
		}
	}
	h.text[last] = t

	if h.n%rowChunk == 0 {
		h.rows = append(h.rows, make([]heldRow, 0, rowChunk))
	}
	c := &h.rows[len(h.rows)-1]
	*c = append(*c, hr)
	h.n++
	return nil
}

func appendString(t []byte, s string) []byte {
	return append(binary.AppendUvarint(t, uint64(len(s))), s...)
}

// row returns held row i.
func (h *heldRows) row(i int) heldRow { return h.rows[i/rowChunk][i%rowChunk] }

// record returns the record of a held row, from its flags byte to the end of its chunk.
func (h *heldRows) record(hr heldRow) []byte {
	return h.text[hr.text>>textBits][hr.text&(textChunk-1):]
}

// bad says whether a held row is not to be stored.
func (h *heldRows) bad(hr heldRow) bool { return h.record(hr)[0]&heldBad != 0 }

// setBad notes that a held row is not to be stored.
func (h *heldRows) setBad(hr heldRow) { h.record(hr)[0] |= heldBad }

// id returns the order id of a held row, without copying it.
func (h *heldRows) id(hr heldRow) []byte {
	id, _ := readString(h.record(hr)[1:])
	return id
}

// intakeRow returns a held row as intake made it. The row must be held whole.
func (h *heldRows) intakeRow(hr heldRow) intake.Row {
	rec := h.record(hr)
	flags := rec[0]
	id, t := readString(rec[1:])
	r := intake.Row{Line: int(hr.line), OrderID: string(id)}
	ix, n := binary.Uvarint(t)
	t = t[n:]
	q, n := binary.Varint(t)
	t = t[n:]
	p, n := binary.Varint(t)
	t = t[n:]
	r.SKU, r.Quantity, r.Priority = h.skus[ix], int(q), int(p)
	var s []byte
	if flags&heldCustomer != 0 {
		s, t = readString(t)
		r.Customer = string(s)
	}
	if flags&heldNotes != 0 {
		s, t = readString(t)
		r.Notes = string(s)
	}
	if flags&heldDue != 0 {
		s, _ = readString(t)
		// add formatted it: it parses.
		r.Due, _ = time.Parse(time.RFC3339Nano, string(s))
	}
	return r
}

// readString reads a string appended by appendString and returns it and what follows it.
func readString(t []byte) (s, rest []byte) {
	n, k := binary.Uvarint(t)
	return t[k : k+int(n)], t[k+int(n):]
}

// first returns the row held with order id id, or false after noting that the next row added
// will be the first with it. Every row added must be asked about first.
func (h *heldRows) first(id string) (heldRow, bool) {
	if i := h.ids.insert(h, id, h.n); i >= 0 {
		return h.row(i), true
	}
	return heldRow{}, false
}

// fresh returns the rows held whole and not bad: the rows to store.
func (h *heldRows) fresh() []intake.Row {
	var rows []intake.Row
	for i := range h.n {
		if hr := h.row(i); !h.bad(hr) {
			rows = append(rows, h.intakeRow(hr))
		}
	}
	return rows
}

// count returns how many rows fresh would return, and their units.
func (h *heldRows) count() (rows, units int) {
	for i := range h.n {
		hr := h.row(i)
		if h.bad(hr) {
			continue
		}
		_, t := readString(h.record(hr)[1:]) // past the id
		_, n := binary.Uvarint(t)            // and the SKU
		q, _ := binary.Varint(t[n:])
		rows++
		units += int(q)
	}
	return rows, units
}

// forgetIDs drops the table of ids, once no more rows are to be added.
func (h *heldRows) forgetIDs() { h.ids = idSet{} }

// idSet finds held rows by order id: an open-addressing table of row indexes plus one (zero is
// an empty slot), at most three quarters full, and beside each slot eight bits of its id's hash,
// so that a probe rarely reads a row: five bytes a slot. The ids themselves stay in the rows'
// records.
type idSet struct {
	seed  maphash.Seed
	slots []uint32
	tags  []uint8
	n     int
}

func newIDSet() idSet {
	return idSet{seed: maphash.MakeSeed(), slots: make([]uint32, 1024), tags: make([]uint8, 1024)}
}

// insert returns the index of the held row with id, or notes row i as holding it and returns -1.
func (s *idSet) insert(h *heldRows, id string, i int) int {
	if (s.n+1)*4 > len(s.slots)*3 {
		s.grow(h)
	}
	hash := maphash.String(s.seed, id)
	tag := uint8(hash >> 56)
	mask := uint64(len(s.slots) - 1)
	for j := hash & mask; ; j = (j + 1) & mask {
		v := s.slots[j]
		if v == 0 {
			s.slots[j], s.tags[j] = uint32(i+1), tag
			s.n++
			return -1
		}
		if s.tags[j] == tag && string(h.id(h.row(int(v-1)))) == id {
			return int(v - 1)
		}
	}
}

func (s *idSet) grow(h *heldRows) {
	old := s.slots
	s.slots = make([]uint32, 2*len(old))
	s.tags = make([]uint8, 2*len(old))
	mask := uint64(len(s.slots) - 1)
	for _, v := range old {
		if v == 0 {
			continue
		}
		hash := maphash.Bytes(s.seed, h.id(h.row(int(v-1))))
		j := hash & mask
		for s.slots[j] != 0 {
			j = (j + 1) & mask
		}
		s.slots[j], s.tags[j] = v, uint8(hash>>56)
	}
}
