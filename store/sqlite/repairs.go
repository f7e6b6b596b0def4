package sqlite

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/cellforge/cellforge/book"
)

// Repairs and care plans (migration 0014). A repair's ReadyAt is its work order's completion,
// read with it; its derived states (ready, expired) are told in SQL where a filter names them.

const repairCols = `r.id, r.seq, r.serial, r.item, r.kind, r.customer, r.contact, r.description, r.source, r.state,
	r.intake_at, r.received_at, r.returned_at, r.diagnosis_work_order, r.work_order, r.checklist, r.photos,
	r.diagnosis, r.estimate, r.decision, w.completed_at, r.external`

const repairFrom = ` FROM repairs r LEFT JOIN work_orders w ON w.id = r.work_order AND w.state = 'done'`

func scanRepair(sc scanner) (book.Repair, error) {
	var r book.Repair
	var intake int64
	var received, returned, diagWO, workWO, ready sql.NullInt64
	var checklist, photos string
	var diagnosis, estimate, decision, external sql.NullString
	err := sc.Scan(&r.ID, &r.Seq, &r.Serial, &r.Item, &r.Kind, &r.Customer, &r.Contact, &r.Description, &r.Source, &r.State,
		&intake, &received, &returned, &diagWO, &workWO, &checklist, &photos, &diagnosis, &estimate, &decision, &ready, &external)
	if err != nil {
		return book.Repair{}, err
	}
	r.IntakeAt, r.ReceivedAt, r.ReturnedAt, r.ReadyAt = fromMicros(intake), fromNullMicros(received), fromNullMicros(returned), fromNullMicros(ready)
	r.DiagnosisWorkOrder, r.WorkOrder, r.External = diagWO.Int64, workWO.Int64, external.String
	for _, d := range []struct {
		what string
		src  sql.NullString
		dst  any
	}{
		{"checklist", sql.NullString{String: checklist, Valid: true}, &r.Checklist},
		{"photos", sql.NullString{String: photos, Valid: true}, &r.Photos},
		{"diagnosis", diagnosis, &r.Diagnosis},
		{"estimate", estimate, &r.Estimate},
		{"decision", decision, &r.Decision},
	} {
		if !d.src.Valid {
			continue
		}
		if err := json.Unmarshal([]byte(d.src.String), d.dst); err != nil {
			return book.Repair{}, fmt.Errorf("repair %s: decoding its %s: %w", r.ID, d.what, err)
		}
	}
	return r, nil
}

func (t *readTx) repairWhere(where string, args ...any) (book.Repair, error) {
	r, err := scanRepair(t.queryRow(`SELECT `+repairCols+repairFrom+` WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return book.Repair{}, book.ErrNotFound
	}
	return r, err
}

// Repair returns a repair in its stored state, with ReadyAt its work order's completion.
func (t *readTx) Repair(id string) (book.Repair, error) {
	r, err := t.repairWhere(`r.id = ?`, id)
	if err != nil {
		return book.Repair{}, fmt.Errorf("reading repair %q: %w", id, err)
	}
	return r, nil
}

// RepairByLink returns the repair whose link's hash is hash.
func (t *readTx) RepairByLink(hash string) (book.Repair, error) {
	r, err := t.repairWhere(`r.link_hash = ?`, hash)
	if err != nil {
		return book.Repair{}, fmt.Errorf("reading a repair by its link: %w", err)
	}
	return r, nil
}

// RepairByExternal returns the repair whose external id is external; book.ErrNotFound
// wrapped when none has it.
func (t *readTx) RepairByExternal(external string) (book.Repair, error) {
	r, err := t.repairWhere(`r.external = ?`, external)
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
	var q strings.Builder
	q.WriteString(`SELECT ` + repairCols + repairFrom + ` WHERE r.seq > ?`)
	var after int64
	if f.AfterID != "" {
		var ok bool
		if after, ok = book.RepairSeq(f.AfterID); !ok {
			return nil, fmt.Errorf("reading repairs after %q: %w: not a repair id", f.AfterID, book.ErrInvalid)
		}
	}
	args := []any{after}
	if f.Serial != "" {
		q.WriteString(` AND r.serial <> '' AND r.serial = ?`) // the partial index of serials
		args = append(args, f.Serial)
	}
	if f.Customer != "" {
		q.WriteString(` AND r.customer = ?`)
		args = append(args, f.Customer)
	}
	at := micros(f.At)
	switch f.State {
	case "":
	case book.RepairReady:
		q.WriteString(` AND r.state = 'approved' AND w.completed_at IS NOT NULL`)
	case book.RepairApproved:
		q.WriteString(` AND r.state = 'approved' AND w.completed_at IS NULL`)
	case book.RepairExpired:
		q.WriteString(` AND (r.state = 'expired' OR r.state = 'estimated' AND r.expires_at <= ?)`)
		args = append(args, at)
	case book.RepairEstimated:
		q.WriteString(` AND r.state = 'estimated' AND r.expires_at > ?`)
		args = append(args, at)
	default:
		q.WriteString(` AND r.state = ?`)
		args = append(args, string(f.State))
	}
	q.WriteString(` ORDER BY r.seq LIMIT ?`)
	args = append(args, sqlLimit(f.Limit))
	rows, err := t.query(q.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("reading repairs: %w", err)
	}
	rs, err := collect(t.ctx, rows, scanRepair)
	if err != nil {
		return nil, fmt.Errorf("reading repairs: %w", err)
	}
	return rs, nil
}

// NextRepairSeq takes the next number of the studio's repair sequence, from 1.
func (t *writeTx) NextRepairSeq() (int64, error) {
	var n int64
	if err := t.queryRow(`INSERT INTO repair_sequence (id, last) VALUES (1, 1)
		ON CONFLICT (id) DO UPDATE SET last = last + 1 RETURNING last`).Scan(&n); err != nil {
		return 0, fmt.Errorf("taking the next number of the repair sequence: %w", err)
	}
	return n, nil
}

// repairDocs are the JSON columns of a repair, in the order of the statements below.
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
	for _, v := range []any{r.Diagnosis, r.Estimate, r.Decision} {
		if v == nil || isNilPtr(v) {
			out = append(out, nil)
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		out = append(out, string(b))
	}
	return out, nil
}

func isNilPtr(v any) bool {
	switch p := v.(type) {
	case *book.Diagnosis:
		return p == nil
	case *book.Estimate:
		return p == nil
	case *book.Decision:
		return p == nil
	}
	return false
}

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
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...); err != nil {
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
	res, err := t.exec(`UPDATE repairs SET state = ?, received_at = ?, expires_at = ?, returned_at = ?,
		diagnosis_work_order = ?, work_order = ?, checklist = ?, photos = ?, diagnosis = ?, estimate = ?, decision = ?
		WHERE id = ?`, args...)
	if err != nil {
		return fmt.Errorf("storing repair %s: %w", r.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("storing repair %s: %w", r.ID, book.ErrNotFound)
	}
	return nil
}

// SetRepairLink replaces the hash of a repair's customer link.
func (t *writeTx) SetRepairLink(id, linkHash string) error {
	res, err := t.exec(`UPDATE repairs SET link_hash = ? WHERE id = ?`, linkHash, id)
	if err != nil {
		return fmt.Errorf("storing the link of repair %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("storing the link of repair %s: %w", id, book.ErrNotFound)
	}
	return nil
}

const holdingCols = `id, plan, serial, customer, start, end, actor, added_at`

func scanHolding(sc scanner) (book.CarePlanHolding, error) {
	var h book.CarePlanHolding
	var start, end, added int64
	err := sc.Scan(&h.ID, &h.Plan, &h.Serial, &h.Customer, &start, &end, &h.Actor, &added)
	h.Start, h.End, h.AddedAt = fromMicros(start), fromMicros(end), fromMicros(added)
	return h, err
}

// CarePlanHoldings returns the holdings of a unit and of a customer, by id.
func (t *readTx) CarePlanHoldings(serial, customer string) ([]book.CarePlanHolding, error) {
	rows, err := t.query(`SELECT `+holdingCols+` FROM care_plan_holdings
		WHERE (serial <> '' AND serial = ?) OR (customer <> '' AND customer = ?) ORDER BY id`, serial, customer)
	if err != nil {
		return nil, fmt.Errorf("reading care plan holdings: %w", err)
	}
	hs, err := collect(t.ctx, rows, scanHolding)
	if err != nil {
		return nil, fmt.Errorf("reading care plan holdings: %w", err)
	}
	return hs, nil
}

// ActiveCarePlanHoldings returns the holdings active at at, by id.
func (t *readTx) ActiveCarePlanHoldings(at time.Time) ([]book.CarePlanHolding, error) {
	rows, err := t.query(`SELECT `+holdingCols+` FROM care_plan_holdings WHERE start <= ? AND end > ? ORDER BY id`,
		micros(at), micros(at))
	if err != nil {
		return nil, fmt.Errorf("reading active care plan holdings: %w", err)
	}
	hs, err := collect(t.ctx, rows, scanHolding)
	if err != nil {
		return nil, fmt.Errorf("reading active care plan holdings: %w", err)
	}
	return hs, nil
}

// CarePlanUses returns the live uses of holdings at at: not released, and not of an
// estimate that expired (whether or not its expiry was stored).
func (t *readTx) CarePlanUses(holdings []int64, at time.Time) ([]book.CarePlanUse, error) {
	if len(holdings) == 0 {
		return nil, nil
	}
	args := make([]any, 0, len(holdings)+1)
	for _, h := range holdings {
		args = append(args, h)
	}
	args = append(args, micros(at))
	rows, err := t.query(`SELECT u.holding, u.repair, u.service, u.at FROM care_plan_uses u JOIN repairs r ON r.id = u.repair
		WHERE u.holding IN (`+placeholders(len(holdings))+`) AND u.released_at IS NULL
			AND r.state NOT IN ('declined', 'expired') AND NOT (r.state = 'estimated' AND r.expires_at <= ?)
		ORDER BY u.holding, u.repair, u.service`, args...)
	if err != nil {
		return nil, fmt.Errorf("reading care plan uses: %w", err)
	}
	uses, err := collect(t.ctx, rows, func(sc scanner) (book.CarePlanUse, error) {
		var u book.CarePlanUse
		var at int64
		err := sc.Scan(&u.Holding, &u.Repair, &u.Service, &at)
		u.At = fromMicros(at)
		return u, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading care plan uses: %w", err)
	}
	return uses, nil
}

// FinishedUnitCount returns how many units are finished.
func (t *readTx) FinishedUnitCount() (int, error) {
	var n int
	if err := t.queryRow(`SELECT count(*) FROM units u JOIN work_orders w ON w.id = u.work_order
		WHERE w.state = 'done' AND u.scrapped_operation IS NULL AND w.id < ?`, t.vis.workOrders).Scan(&n); err != nil {
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

// InsertCarePlanHolding stores a holding, setting its id.
func (t *writeTx) InsertCarePlanHolding(h *book.CarePlanHolding) error {
	if err := t.queryRow(`INSERT INTO care_plan_holdings (plan, serial, customer, start, end, actor, added_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, h.Plan, h.Serial, h.Customer, micros(h.Start), micros(h.End),
		string(h.Actor), micros(h.AddedAt)).Scan(&h.ID); err != nil {
		return fmt.Errorf("storing a holding of care plan %s: %w", h.Plan, err)
	}
	return nil
}

// InsertCarePlanUses stores the uses an estimate reserves.
func (t *writeTx) InsertCarePlanUses(uses []book.CarePlanUse) error {
	for _, u := range uses {
		if _, err := t.exec(`INSERT INTO care_plan_uses (holding, repair, service, at) VALUES (?, ?, ?, ?)`,
			u.Holding, u.Repair, u.Service, micros(u.At)); err != nil {
			if isConstraint(err, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) {
				return fmt.Errorf("storing the use of holding %d for %s of repair %s: it is stored already", u.Holding, u.Service, u.Repair)
			}
			return fmt.Errorf("storing the use of holding %d for %s of repair %s: %w", u.Holding, u.Service, u.Repair, err)
		}
	}
	return nil
}

// ReleaseCarePlanUses releases the live uses of a repair.
func (t *writeTx) ReleaseCarePlanUses(repair string, at time.Time) (int, error) {
	res, err := t.exec(`UPDATE care_plan_uses SET released_at = ? WHERE repair = ? AND released_at IS NULL`, micros(at), repair)
	if err != nil {
		return 0, fmt.Errorf("releasing the care plan uses of repair %s: %w", repair, err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}
