package postgres

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// derived are what a write transaction adds to the derived tables drop_units (units ordered
// per drop and SKU) and state_counts (work orders and operations per state). They are summed
// in memory and written once, in one statement, before COMMIT: updating those rows with every
// change would cost a statement each, and every write of the floor updates the same few rows.
// The reads of the transaction add them to what is stored (DropUnits, Counts).
type derived struct {
	units  map[dropSKU]int
	counts map[entityState]int
	// inserted tells that the transaction inserted work orders or operations, whose foreign
	// keys commit checks before COMMIT to name the row that breaks one.
	inserted bool
}

type dropSKU struct{ drop, sku string }

// entityState is a row of state_counts.
type entityState struct{ entity, state string }

const (
	entityWorkOrder = "work_order"
	entityOperation = "operation"
)

// addUnits counts n more units of sku ordered in drop.
func (d *derived) addUnits(drop, sku string, n int) {
	if d.units == nil {
		d.units = make(map[dropSKU]int)
	}
	d.units[dropSKU{drop, sku}] += n
}

// count adds n to the number of entities in state.
func (d *derived) count(entity, state string, n int) {
	if d.counts == nil {
		d.counts = make(map[entityState]int)
	}
	d.counts[entityState{entity, state}] += n
}

// derivedSQL adds to drop_units and state_counts in one statement, each from arrays of its
// rows' keys and amounts.
const derivedSQL = `WITH units AS (
		INSERT INTO drop_units (drop_id, sku, units) SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])
		ON CONFLICT (drop_id, sku) DO UPDATE SET units = drop_units.units + excluded.units
	)
	INSERT INTO state_counts (entity, state, n) SELECT * FROM unnest($4::text[], $5::text[], $6::bigint[])
	ON CONFLICT (entity, state) DO UPDATE SET n = state_counts.n + excluded.n`

// commit writes the changes to the derived tables, and checks the foreign keys of the rows
// inserted, before COMMIT. Write calls it once fn has returned nil.
func (t *writeTx) commit() error {
	var drops, skus, entities, states []string
	var units, counts []int64
	for k, n := range t.units {
		if n != 0 {
			drops, skus, units = append(drops, k.drop), append(skus, k.sku), append(units, int64(n))
		}
	}
	for k, n := range t.counts {
		if n != 0 {
			entities, states, counts = append(entities, k.entity), append(states, k.state), append(counts, int64(n))
		}
	}
	if len(units)+len(counts) > 0 {
		if _, err := t.exec(derivedSQL, drops, skus, units, entities, states, counts); err != nil {
			return fmt.Errorf("adding %d units of drops and %d state counts: %w", len(units), len(counts), err)
		}
	}
	clear(t.units)
	clear(t.counts)
	if t.inserted {
		// the keys are DEFERRABLE INITIALLY DEFERRED, as SQLite's: a transaction may insert a
		// child before its parent. Checked here rather than by COMMIT, under a savepoint to
		// come back to, so that the error can name the row.
		if _, err := t.exec(`SAVEPOINT foreign_keys; SET CONSTRAINTS ALL IMMEDIATE`); err != nil {
			return t.explainForeignKey(err)
		}
	}
	return nil
}

// missingKey parses the detail of a foreign key violation:
// Key (order_id)=(o-1) is not present in table "orders".
var missingKey = regexp.MustCompile(`^Key \((.+)\)=\((.*)\) is not present in table "?([^"]+)"?\.$`)

// explainForeignKey returns the error of a foreign key violation (SQLSTATE 23503) naming the
// row whose parent is missing, as the SQLite store does: a work order and its order, an
// operation and its work order; any other row by its table and the key it lacks.
func (t *writeTx) explainForeignKey(err error) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "23503" {
		return fmt.Errorf("checking foreign keys: %w", err)
	}
	m := missingKey.FindStringSubmatch(pe.Detail)
	if m == nil {
		return fmt.Errorf("a row of %s: %s: %w", pe.TableName, strings.ToLower(pe.Detail), err)
	}
	column, key, parent := m[1], m[2], m[3]
	plain := fmt.Errorf("a row of %s: no %s %s in %s: %w", pe.TableName, column, key, parent, err)
	var find, format string
	switch {
	case pe.TableName == "work_orders" && column == "order_id":
		find, format = `SELECT id FROM work_orders WHERE order_id = $1::text ORDER BY id LIMIT 1`, "work order %d: no order %q: %w"
	case pe.TableName == "operations" && column == "work_order":
		find, format = `SELECT id FROM operations WHERE work_order = $1::bigint ORDER BY id LIMIT 1`, "operation %d: no work order %s: %w"
	default:
		return plain
	}
	// the failed check aborted the transaction; back at the savepoint it can be read again
	if _, rerr := t.exec(`ROLLBACK TO SAVEPOINT foreign_keys`); rerr != nil {
		return plain
	}
	var id int64
	if qerr := t.queryRow(find, key).Scan(&id); qerr != nil {
		return plain
	}
	return fmt.Errorf(format, id, key, err)
}
