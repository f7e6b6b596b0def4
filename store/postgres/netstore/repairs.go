package netstore

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cellforge/cellforge/book/network"
	"github.com/cellforge/cellforge/store/internal/pgutil"
)

// The network's repairs and their routes (migration 0002), kept as the orders are.

const selectRepairs = `SELECT id, serial, item, kind, customer, contact, description, lat, lon,
	due, hash, state, site, route, ack_by, promise, site_repair, site_state, version, done_at,
	created_at, updated_at FROM network.repairs`

func scanRepair(rows pgx.Rows) (network.Repair, error) {
	var r network.Repair
	var route, created, updated int64
	var due, ackBy, promise, doneAt *int64
	var state string
	err := rows.Scan(&r.ID, &r.Serial, &r.Item, &r.Kind, &r.Customer, &r.Contact, &r.Description,
		&r.Location.Lat, &r.Location.Lon, &due, &r.Hash, &state, &r.Site, &route, &ackBy, &promise,
		&r.SiteRepair, &r.SiteState, &r.Version, &doneAt, &created, &updated)
	r.Route, r.State = int(route), network.OrderState(state)
	r.Due, r.AckBy, r.Promise, r.DoneAt = fromNull(due), fromNull(ackBy), fromNull(promise), fromNull(doneAt)
	r.CreatedAt, r.UpdatedAt = pgutil.FromMicros(created), pgutil.FromMicros(updated)
	return r, err
}

// repairValues are r's values in the order of selectRepairs' columns.
func repairValues(r network.Repair) []any {
	return []any{r.ID, r.Serial, r.Item, r.Kind, r.Customer, r.Contact, r.Description,
		r.Location.Lat, r.Location.Lon, nullTime(r.Due), r.Hash, string(r.State), r.Site, int64(r.Route),
		nullTime(r.AckBy), nullTime(r.Promise), r.SiteRepair, r.SiteState, r.Version, nullTime(r.DoneAt),
		pgutil.Micros(r.CreatedAt), pgutil.Micros(r.UpdatedAt)}
}

// Repair returns the repair id; ok is false when there is none.
func (t *readTx) Repair(id string) (network.Repair, bool, error) {
	repairs, err := query(t, scanRepair, selectRepairs+` WHERE id = $1`, id)
	if err != nil || len(repairs) == 0 {
		return network.Repair{}, false, wrap(err, "reading repair %q", id)
	}
	return repairs[0], true, nil
}

// Repairs returns the repairs f selects, by id.
func (t *readTx) Repairs(f network.RepairFilter) ([]network.Repair, error) {
	var q pgutil.SQL
	q.WriteString(selectRepairs + ` WHERE TRUE`)
	if f.Site != "" {
		q.WriteString(` AND site = ` + q.Arg(f.Site))
	}
	if len(f.States) > 0 {
		states := make([]string, len(f.States))
		for i, s := range f.States {
			states[i] = string(s)
		}
		q.WriteString(` AND state = ANY(` + q.Arg(states) + `)`)
	}
	if !f.AckBefore.IsZero() {
		q.WriteString(` AND state = '` + string(network.Routed) + `' AND ack_by < ` + q.Arg(pgutil.MicrosAtLeast(f.AckBefore)))
	}
	if f.AfterID != "" {
		q.WriteString(` AND id > ` + q.Arg(f.AfterID))
	}
	q.WriteString(` ORDER BY id`)
	if f.Limit > 0 {
		q.WriteString(` LIMIT ` + q.Arg(int64(f.Limit)))
	}
	repairs, err := query(t, scanRepair, q.String(), q.Args...)
	return repairs, wrap(err, "reading repairs")
}

// RepairRoutes returns the routes of repair repairID, the first first.
func (t *readTx) RepairRoutes(repairID string) ([]network.Route, error) {
	routes, err := query(t, scanRoute, `SELECT repair_id, n, site, at, cause, why, ranking, ended,
		end_cause FROM network.repair_routes WHERE repair_id = $1 ORDER BY n`, repairID)
	return routes, wrap(err, "reading the routes of repair %q", repairID)
}

// SiteRepairs records the kinds of items site id said it repairs. An unknown site is an error
// wrapping network.ErrUnknownSite.
func (t *writeTx) SiteRepairs(id string, kinds []string) error {
	if kinds == nil {
		kinds = []string{}
	}
	b, err := json.Marshal(kinds)
	if err != nil {
		return fmt.Errorf("recording what site %q repairs: %w", id, err)
	}
	tag, err := t.exec(`UPDATE network.sites SET repairs = $2 WHERE id = $1`, id, b)
	if err != nil {
		return fmt.Errorf("recording what site %q repairs: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("recording what site %q repairs: %w", id, network.ErrUnknownSite)
	}
	return nil
}

// InsertRepair adds r; an id already stored is an error wrapping ErrConflict.
func (t *writeTx) InsertRepair(r network.Repair) error {
	_, err := t.exec(`INSERT INTO network.repairs (id, serial, item, kind, customer, contact,
		description, lat, lon, due, hash, state, site, route, ack_by, promise, site_repair, site_state,
		version, done_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
		$12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)`, repairValues(r)...)
	if pgutil.Code(err) == pgutil.UniqueViolation {
		return fmt.Errorf("inserting repair %q: the id is already stored: %w", r.ID, ErrConflict)
	}
	return wrap(err, "inserting repair %q", r.ID)
}

// UpdateRepair writes every field of r, a repair the book holds; one it does not hold is an
// error wrapping network.ErrUnknownRepair.
func (t *writeTx) UpdateRepair(r network.Repair) error {
	tag, err := t.exec(`UPDATE network.repairs SET serial = $2, item = $3, kind = $4, customer = $5,
		contact = $6, description = $7, lat = $8, lon = $9, due = $10, hash = $11, state = $12,
		site = $13, route = $14, ack_by = $15, promise = $16, site_repair = $17, site_state = $18,
		version = $19, done_at = $20, created_at = $21, updated_at = $22 WHERE id = $1`, repairValues(r)...)
	if err != nil {
		return fmt.Errorf("updating repair %q: %w", r.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("updating repair %q: %w", r.ID, network.ErrUnknownRepair)
	}
	return nil
}

// InsertRepairRoute adds r to its repair's routes (r.OrderID is the repair's id). A repair the
// book does not hold is an error wrapping network.ErrUnknownRepair, a route number it has
// already one wrapping ErrConflict.
func (t *writeTx) InsertRepairRoute(r network.Route) error {
	b, err := rankingJSON(r)
	if err != nil {
		return err
	}
	_, err = t.exec(`INSERT INTO network.repair_routes (repair_id, n, site, at, cause, why, ranking,
		ended, end_cause) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, routeValues(r, b)...)
	switch pgutil.Code(err) {
	case pgutil.ForeignKeyViolation:
		return fmt.Errorf("inserting route %d of repair %q: %w", r.N, r.OrderID, network.ErrUnknownRepair)
	case pgutil.UniqueViolation:
		return fmt.Errorf("inserting route %d of repair %q: the repair has that route already: %w", r.N, r.OrderID, ErrConflict)
	}
	return wrap(err, "inserting route %d of repair %q", r.N, r.OrderID)
}

// EndRepairRoute records that route n of repair repairID ended at at, and why. A route the book
// does not hold is an error wrapping network.ErrUnknownRepair.
func (t *writeTx) EndRepairRoute(repairID string, n int, at time.Time, cause string) error {
	tag, err := t.exec(`UPDATE network.repair_routes SET ended = $3, end_cause = $4 WHERE repair_id = $1 AND n = $2`,
		repairID, int64(n), nullTime(at), cause)
	if err != nil {
		return fmt.Errorf("ending route %d of repair %q: %w", n, repairID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("ending route %d of repair %q: no such route: %w", n, repairID, network.ErrUnknownRepair)
	}
	return nil
}
