package postgres

import (
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cellforge/cellforge/book"
)

// Care plan holdings and the uses estimates reserve of them. "end" is quoted: it is a reserved
// word of PostgreSQL.

const holdingCols = `id, plan, serial, customer, start, "end", actor, added_at`

func scanHolding(sc pgx.Rows) (book.CarePlanHolding, error) {
	var h book.CarePlanHolding
	var actor string
	var start, end, added int64
	err := sc.Scan(&h.ID, &h.Plan, &h.Serial, &h.Customer, &start, &end, &actor, &added)
	h.Actor = book.Actor(actor)
	h.Start, h.End, h.AddedAt = fromMicros(start), fromMicros(end), fromMicros(added)
	return h, err
}

// CarePlanHoldings returns the holdings of a unit and of a customer, by id.
func (t *readTx) CarePlanHoldings(serial, customer string) ([]book.CarePlanHolding, error) {
	rows, err := t.query(`SELECT `+holdingCols+` FROM care_plan_holdings
		WHERE (serial <> '' AND serial = $1) OR (customer <> '' AND customer = $2) ORDER BY id`, serial, customer)
	if err != nil {
		return nil, fmt.Errorf("reading care plan holdings: %w", err)
	}
	hs, err := collect(rows, scanHolding)
	if err != nil {
		return nil, fmt.Errorf("reading care plan holdings: %w", err)
	}
	return hs, nil
}

// ActiveCarePlanHoldings returns the holdings active at at, by id.
func (t *readTx) ActiveCarePlanHoldings(at time.Time) ([]book.CarePlanHolding, error) {
	rows, err := t.query(`SELECT `+holdingCols+` FROM care_plan_holdings WHERE start <= $1 AND "end" > $1 ORDER BY id`,
		micros(at))
	if err != nil {
		return nil, fmt.Errorf("reading active care plan holdings: %w", err)
	}
	hs, err := collect(rows, scanHolding)
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
	rows, err := t.query(`SELECT u.holding, u.repair, u.service, u.at FROM care_plan_uses u JOIN repairs r ON r.id = u.repair
		WHERE u.holding = ANY($1::bigint[]) AND u.released_at IS NULL
			AND r.state NOT IN ('declined', 'expired') AND NOT (r.state = 'estimated' AND r.expires_at <= $2)
		ORDER BY u.holding, u.repair, u.service`, holdings, micros(at))
	if err != nil {
		return nil, fmt.Errorf("reading care plan uses: %w", err)
	}
	uses, err := collect(rows, func(sc pgx.Rows) (book.CarePlanUse, error) {
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

// InsertCarePlanHolding stores a holding, setting its id.
func (t *writeTx) InsertCarePlanHolding(h *book.CarePlanHolding) error {
	if err := t.queryRow(`INSERT INTO care_plan_holdings (plan, serial, customer, start, "end", actor, added_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, h.Plan, h.Serial, h.Customer, micros(h.Start), micros(h.End),
		string(h.Actor), micros(h.AddedAt)).Scan(&h.ID); err != nil {
		return fmt.Errorf("storing a holding of care plan %s: %w", h.Plan, err)
	}
	return nil
}

// InsertCarePlanUses stores the uses an estimate reserves. A use stored already is refused
// without failing the transaction (ON CONFLICT DO NOTHING), as SQLite refuses it.
func (t *writeTx) InsertCarePlanUses(uses []book.CarePlanUse) error {
	for _, u := range uses {
		tag, err := t.exec(`INSERT INTO care_plan_uses (holding, repair, service, at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (holding, repair, service) DO NOTHING`, u.Holding, u.Repair, u.Service, micros(u.At))
		if err != nil {
			return fmt.Errorf("storing the use of holding %d for %s of repair %s: %w", u.Holding, u.Service, u.Repair, err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("storing the use of holding %d for %s of repair %s: it is stored already", u.Holding, u.Service, u.Repair)
		}
	}
	return nil
}

// ReleaseCarePlanUses releases the live uses of a repair.
func (t *writeTx) ReleaseCarePlanUses(repair string, at time.Time) (int, error) {
	tag, err := t.exec(`UPDATE care_plan_uses SET released_at = $1 WHERE repair = $2 AND released_at IS NULL`, micros(at), repair)
	if err != nil {
		return 0, fmt.Errorf("releasing the care plan uses of repair %s: %w", repair, err)
	}
	return int(tag.RowsAffected()), nil
}
