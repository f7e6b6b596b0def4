package postgres

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/store/internal/pgutil"
)

// Repairs and care plans. A repair's ReadyAt is its work order's completion, read with it; its
// derived states (ready, expired) are told in SQL where a filter names them, as the SQLite
// store tells them.

const repairCols = `r.id, r.seq, r.serial, r.item, r.kind, r.customer, r.contact, r.description, r.source, r.state,
	r.intake_at, r.received_at, r.returned_at, r.diagnosis_work_order, r.work_order, r.checklist, r.photos,
	r.diagnosis, r.estimate, r.decision, w.completed_at, r.external`

const repairFrom = ` FROM repairs r LEFT JOIN work_orders w ON w.id = r.work_order AND w.state = 'done'`

func scanRepair(sc pgx.Row) (book.Repair, error) {
	var r book.Repair
	var source, state, checklist, photos string
	var intake int64
	var received, returned, diagWO, workWO, ready *int64
	var diagnosis, estimate, decision, external *string
	err := sc.Scan(&r.ID, &r.Seq, &r.Serial, &r.Item, &r.Kind, &r.Customer, &r.Contact, &r.Description, &source, &state,
		&intake, &received, &returned, &diagWO, &workWO, &checklist, &photos, &diagnosis, &estimate, &decision, &ready, &external)
	if err != nil {
		return book.Repair{}, err
	}
	r.Source, r.State = book.RepairSource(source), book.RepairState(state)
	r.IntakeAt, r.ReceivedAt, r.ReturnedAt, r.ReadyAt = fromMicros(intake), fromNullMicros(received), fromNullMicros(returned), fromNullMicros(ready)
	if external != nil {
		r.External = *external
	}
	if diagWO != nil {
		r.DiagnosisWorkOrder = *diagWO
	}
	if workWO != nil {
		r.WorkOrder = *workWO
	}
	for _, d := range []struct {
		what string
		src  *string
		dst  any
	}{
		{"checklist", &checklist, &r.Checklist},
		{"photos", &photos, &r.Photos},
		{"diagnosis", diagnosis, &r.Diagnosis},
		{"estimate", estimate, &r.Estimate},
		{"decision", decision, &r.Decision},
	} {
		if d.src == nil {
			continue
		}
		if err := json.Unmarshal([]byte(*d.src), d.dst); err != nil {
			return book.Repair{}, fmt.Errorf("repair %s: decoding its %s: %w", r.ID, d.what, err)
		}
	}
	return r, nil
}

func (t *readTx) repairWhere(where string, args ...any) (book.Repair, error) {
	r, err := scanRepair(t.queryRow(`SELECT `+repairCols+repairFrom+` WHERE `+where, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return book.Repair{}, book.ErrNotFound
	}
	return r, err
}

// Repair returns a repair in its stored state, with ReadyAt its work order's completion.
func (t *readTx) Repair(id string) (book.Repair, error) {
	r, err := t.repairWhere(`r.id = $1`, id)
	if err != nil {
		return book.Repair{}, fmt.Errorf("reading repair %q: %w", id, err)
	}
	return r, nil
}

// RepairByLink returns the repair whose link's hash is hash.
func (t *readTx) RepairByLink(hash string) (book.Repair, error) {
	r, err := t.repairWhere(`r.link_hash = $1`, hash)
	if err != nil {
		return book.Repair{}, fmt.Errorf("reading a repair by its link: %w", err)
	}
	return r, nil
}

// RepairByExternal returns the repair whose external id is external; book.ErrNotFound
// wrapped when none has it.
func (t *readTx) RepairByExternal(external string) (book.Repair, error) {
	r, err := t.repairWhere(`r.external = $1`, external)
	if err != nil {
		return book.Repair{}, fmt.Errorf("reading the repair of external id %q: %w", external, err)
	}
	return r, nil
}

// externalID is the column value of a repair's external id: NULL when it has none, so that
// the unique index holds only the ones given.
func externalID(external string) any {
	if external == "" {
		return nil
	}
	return external
}

// Repairs returns the repairs f selects, by id (their sequence).
func (t *readTx) Repairs(f book.RepairFilter) ([]book.Repair, error) {
	var after int64
	if f.AfterID != "" {
		var ok bool
		if after, ok = book.RepairSeq(f.AfterID); !ok {
			return nil, fmt.Errorf("reading repairs after %q: %w: not a repair id", f.AfterID, book.ErrInvalid)
		}
	}
	q := &pgutil.SQL{Args: []any{after}}
	q.WriteString(`SELECT ` + repairCols + repairFrom + ` WHERE r.seq > $1`)
	if f.Serial != "" {
		q.WriteString(` AND r.serial <> '' AND r.serial = ` + q.Arg(f.Serial)) // the partial index of serials
	}
	if f.Customer != "" {
		q.WriteString(` AND r.customer = ` + q.Arg(f.Customer))
	}
	at := micros(f.At)
	switch f.State {
	case "":
	case book.RepairReady:
		q.WriteString(` AND r.state = 'approved' AND w.completed_at IS NOT NULL`)
	case book.RepairApproved:
		q.WriteString(` AND r.state = 'approved' AND w.completed_at IS NULL`)
	case book.RepairExpired:
		q.WriteString(` AND (r.state = 'expired' OR r.state = 'estimated' AND r.expires_at <= ` + q.Arg(at) + `)`)
	case book.RepairEstimated:
		q.WriteString(` AND r.state = 'estimated' AND r.expires_at > ` + q.Arg(at))
	default:
		q.WriteString(` AND r.state = ` + q.Arg(string(f.State)))
	}
	q.WriteString(` ORDER BY r.seq LIMIT ` + q.Arg(rowLimit(f.Limit)))
	rows, err := t.query(q.String(), q.Args...)
	if err != nil {
		return nil, fmt.Errorf("reading repairs: %w", err)
	}
	rs, err := collect(rows, func(r pgx.Rows) (book.Repair, error) { return scanRepair(r) })
	if err != nil {
		return nil, fmt.Errorf("reading repairs: %w", err)
	}
	return rs, nil
}

// NextRepairSeq takes the next number of the studio's repair sequence, from 1.
func (t *writeTx) NextRepairSeq() (int64, error) {
	return t.nextInSequence("repair_sequence", "repair")
}

// repairDocs are the JSON columns of a repair, in the order of the statements below, as the
// SQLite store stores them: an empty checklist and photo list as {} and [], the absent
// documents as NULL.
func repairDocs(r book.Repair) ([]any, error) {
	checklist := r.Checklist
	if checklist == nil {
		checklist = map[string]string{}
	}
	photos := r.Photos
	if photos == nil {
		photos = []book.RepairPhoto{}
	}
	out := make([]any, 0, 5)
	for _, v := range []any{checklist, photos} {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		out = append(out, string(b))
	}
	for _, v := range []struct {
		absent bool
		doc    any
	}{{r.Diagnosis == nil, r.Diagnosis}, {r.Estimate == nil, r.Estimate}, {r.Decision == nil, r.Decision}} {
		if v.absent {
			out = append(out, nil)
			continue
		}
		b, err := json.Marshal(v.doc)
		if err != nil {
			return nil, err
		}
		out = append(out, string(b))
	}
	return out, nil
}

// expiresAt is when a repair's estimate expires as stored, NULL without an estimate.
func expiresAt(r book.Repair) any {
	if r.Estimate == nil {
		return nil
	}
	return micros(r.Estimate.ExpiresAt)
}

// InsertRepair stores a new repair with the hash of its customer link.
func (t *writeTx) InsertRepair(r book.Repair, linkHash string) error {
	docs, err := repairDocs(r)
	if err != nil {
		return fmt.Errorf("storing repair %s: %w", r.ID, err)
	}
	args := append([]any{r.ID, r.Seq, r.Serial, r.Item, r.Kind, r.Customer, r.Contact, r.Description, string(r.Source), string(r.State),
		micros(r.IntakeAt), nullMicros(r.ReceivedAt), expiresAt(r), nullMicros(r.ReturnedAt),
		nullInt64(r.DiagnosisWorkOrder), nullInt64(r.WorkOrder), linkHash}, docs...)
	args = append(args, externalID(r.External))
	if _, err := t.exec(`INSERT INTO repairs (id, seq, serial, item, kind, customer, contact, description, source, state,
		intake_at, received_at, expires_at, returned_at, diagnosis_work_order, work_order, link_hash,
		checklist, photos, diagnosis, estimate, decision, external)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)`, args...); err != nil {
		return fmt.Errorf("storing repair %s: %w", r.ID, err)
	}
	return nil
}

// UpdateRepair stores what changed of a repair.
func (t *writeTx) UpdateRepair(r book.Repair) error {
	docs, err := repairDocs(r)
	if err != nil {
		return fmt.Errorf("storing repair %s: %w", r.ID, err)
	}
	args := append([]any{string(r.State), nullMicros(r.ReceivedAt), expiresAt(r), nullMicros(r.ReturnedAt),
		nullInt64(r.DiagnosisWorkOrder), nullInt64(r.WorkOrder)}, docs...)
	args = append(args, r.ID)
	tag, err := t.exec(`UPDATE repairs SET state = $1, received_at = $2, expires_at = $3, returned_at = $4,
		diagnosis_work_order = $5, work_order = $6, checklist = $7, photos = $8, diagnosis = $9, estimate = $10, decision = $11
		WHERE id = $12`, args...)
	if err != nil {
		return fmt.Errorf("storing repair %s: %w", r.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("storing repair %s: %w", r.ID, book.ErrNotFound)
	}
	return nil
}

// SetRepairLink replaces the hash of a repair's customer link.
func (t *writeTx) SetRepairLink(id, linkHash string) error {
	tag, err := t.exec(`UPDATE repairs SET link_hash = $1 WHERE id = $2`, linkHash, id)
	if err != nil {
		return fmt.Errorf("storing the link of repair %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("storing the link of repair %s: %w", id, book.ErrNotFound)
	}
	return nil
}

// FinishedUnitCount returns how many units are finished.
func (t *readTx) FinishedUnitCount() (int, error) {
	var n int
	if err := t.queryRow(`SELECT count(*) FROM units u JOIN work_orders w ON w.id = u.work_order
		WHERE w.state = 'done' AND u.scrapped_operation IS NULL`).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting finished units: %w", err)
	}
	return n, nil
}

// OrderCustomers returns how many distinct customers the drops' orders have.
func (t *readTx) OrderCustomers() (int, error) {
	var n int
	if err := t.queryRow(`SELECT count(DISTINCT customer) FROM orders WHERE customer <> '' AND drop_id <> ''`).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting the customers of orders: %w", err)
	}
	return n, nil
}
