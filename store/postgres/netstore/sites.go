package netstore

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cellforge/cellforge/book/network"
	"github.com/cellforge/cellforge/store/internal/pgutil"
)

const siteColumns = `id, name, lat, lon, gone, gone_at, makes, load_open_work_orders, load_hours,
	load_cells, load_plan_end, load_at, last_word, repairs`

func scanSite(rows pgx.Rows) (network.Site, error) {
	var s network.Site
	var goneAt, planEnd, loadAt, lastWord *int64
	var makes, repairs []byte
	if err := rows.Scan(&s.ID, &s.Name, &s.Location.Lat, &s.Location.Lon, &s.Gone, &goneAt, &makes,
		&s.Load.OpenWorkOrders, &s.Load.Hours, &s.Load.Cells, &planEnd, &loadAt, &lastWord, &repairs); err != nil {
		return s, err
	}
	if repairs != nil {
		if err := json.Unmarshal(repairs, &s.Repairs); err != nil {
			return s, fmt.Errorf("site %q: what it repairs: %w", s.ID, err)
		}
	}
	if makes != nil {
		if err := json.Unmarshal(makes, &s.Makes); err != nil {
			return s, fmt.Errorf("site %q: what it makes: %w", s.ID, err)
		}
	}
	s.GoneAt, s.Load.PlanEnd, s.Load.At, s.LastWord = fromNull(goneAt), fromNull(planEnd), fromNull(loadAt), fromNull(lastWord)
	return s, nil
}

// Sites returns every site, by id.
func (t *readTx) Sites() ([]network.Site, error) {
	sites, err := query(t, scanSite, `SELECT `+siteColumns+` FROM network.sites ORDER BY id`)
	return sites, wrap(err, "reading the sites")
}

// Site returns the site id; ok is false when there is none.
func (t *readTx) Site(id string) (network.Site, bool, error) {
	sites, err := query(t, scanSite, `SELECT `+siteColumns+` FROM network.sites WHERE id = $1`, id)
	if err != nil || len(sites) == 0 {
		return network.Site{}, false, wrap(err, "reading site %q", id)
	}
	return sites[0], true, nil
}

// PutSite stores s's id, name and location, adding the site when new; what it said and Gone
// are kept.
func (t *writeTx) PutSite(s network.Site) error {
	_, err := t.exec(`INSERT INTO network.sites (id, name, lat, lon) VALUES ($1, $2, $3, $4)
		ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, lat = EXCLUDED.lat, lon = EXCLUDED.lon`,
		s.ID, s.Name, s.Location.Lat, s.Location.Lon)
	return wrap(err, "storing site %q", s.ID)
}

// SiteSaid records that site id spoke at at; makes, when not nil, replaces what it makes, and
// load, when not nil, its load. An unknown site is an error wrapping network.ErrUnknownSite.
func (t *writeTx) SiteSaid(id string, at time.Time, makes map[string][]string, load *network.Load) error {
	var makesJSON []byte
	if makes != nil {
		b, err := json.Marshal(makes)
		if err != nil {
			return fmt.Errorf("recording what site %q said: %w", id, err)
		}
		makesJSON = b
	}
	var l network.Load
	if load != nil {
		l = *load
	}
	tag, err := t.exec(`UPDATE network.sites SET last_word = $2,
		makes = CASE WHEN $3::boolean THEN $4::jsonb ELSE makes END,
		load_open_work_orders = CASE WHEN $5::boolean THEN $6 ELSE load_open_work_orders END,
		load_hours = CASE WHEN $5::boolean THEN $7 ELSE load_hours END,
		load_cells = CASE WHEN $5::boolean THEN $8 ELSE load_cells END,
		load_plan_end = CASE WHEN $5::boolean THEN $9 ELSE load_plan_end END,
		load_at = CASE WHEN $5::boolean THEN $10 ELSE load_at END
		WHERE id = $1`, id, pgutil.Micros(at), makes != nil, makesJSON, load != nil,
		int64(l.OpenWorkOrders), l.Hours, int64(l.Cells), nullTime(l.PlanEnd), nullTime(l.At))
	if err != nil {
		return fmt.Errorf("recording what site %q said: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("recording what site %q said: %w", id, network.ErrUnknownSite)
	}
	return nil
}

// SetGone marks site id gone at at. An unknown site is an error wrapping
// network.ErrUnknownSite.
func (t *writeTx) SetGone(id string, at time.Time) error {
	tag, err := t.exec(`UPDATE network.sites SET gone = TRUE, gone_at = $2 WHERE id = $1`, id, nullTime(at))
	if err != nil {
		return fmt.Errorf("marking site %q gone: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("marking site %q gone: %w", id, network.ErrUnknownSite)
	}
	return nil
}
