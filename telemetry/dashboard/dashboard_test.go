package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"

	"github.com/cellforge/cellforge/telemetry"
	"github.com/cellforge/cellforge/telemetry/peertest"
)

// Where the dashboard lives, from this package's directory.
var (
	dashboardFile = filepath.Join("..", "..", "configs", "grafana", "cellforge.json")
	queriesDir    = filepath.Join("..", "..", "configs", "grafana", "queries")
)

const (
	database = "cellforge"
	bucket   = database + "/autogen"
	// site is the site the dashboard shows; otherSite writes into the same bucket and must
	// not show up in any panel.
	site      = "north"
	otherSite = "south"
)

// The dashboard's time range in the tests: four whole hours. The data set also holds points
// before and after it that no query may count.
var (
	t0        = time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)
	rangeStop = t0.Add(4 * time.Hour)
)

// at returns the time min minutes after t0.
func at(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }

// span is a state a cell enters at from, minutes after t0.
type span struct {
	from  int
	state string
}

// The known data set of site north. Times are minutes after t0.
var (
	// states are the cells' machine states, sampled every 5 minutes from an hour before t0 to
	// the end of the range.
	states = map[string][]span{
		"dye-1":  {{-60, "running"}, {120, "paused"}, {150, "setup"}, {170, "running"}, {210, "fault"}},
		"loom-1": {{-60, "idle"}, {60, "running"}, {180, "paused"}},
	}
	// queueBase is each cell's mean queue length in each hour of the range; samples alternate
	// one below and one above it.
	queueBase = map[string][4]float64{
		"dye-1":  {4, 3, 5, 2},
		"loom-1": {1, 6, 2, 0},
	}
	// units are the units each cell made and when; the ones at -10 and 240 lie outside the range.
	units = map[string][]struct {
		min   int
		units float64
	}{
		"dye-1":  {{-10, 7}, {3, 4}, {21, 5}, {48, 3}, {65, 6}, {100, 4}, {120, 3}, {155, 5}, {185, 2}, {200, 4}, {240, 9}},
		"loom-1": {{70, 3}, {95, 5}, {130, 4}, {150, 2}, {175, 3}},
	}
	// workOrders are the completed work orders: when, in which drop, their turnaround and
	// whether they were late. The first completed before the range.
	workOrders = []struct {
		min        int
		drop       string
		turnaround float64
		late       bool
	}{
		{-20, "spring-27", 8000, true},
		{10, "spring-27", 3600, false},
		{20, "spring-27", 7200, false},
		{30, "spring-27", 5400, true},
		{50, "spring-27", 9000, false},
		{70, "summer-27", 1800, false},
		{80, "summer-27", 2400, false},
		{90, "summer-27", 3000, true},
		{100, "summer-27", 3600, true},
		{110, "summer-27", 4200, false},
		{130, "spring-27", 4000, false},
		{170, "spring-27", 12000, true},
		{200, "spring-27", 6000, false},
		{220, "summer-27", 10800, true},
	}
	drops = []string{"spring-27", "summer-27"}
)

// stateAt returns the state of cell at min minutes after t0.
func stateAt(cell string, min int) string {
	state := ""
	for _, s := range states[cell] {
		if s.from <= min {
			state = s.state
		}
	}
	return state
}

// nearestRank is the book's percentile of sorted values.
func nearestRank(sorted []float64, p float64) float64 {
	return sorted[max(int(math.Ceil(p*float64(len(sorted)))), 1)-1]
}

// lineProtocol is line protocol under construction.
type lineProtocol struct {
	t   *testing.T
	buf []byte
}

// add appends a point of series s, after checking that the daemon could publish it.
func (l *lineProtocol) add(s telemetry.Series, when time.Time, fields map[string]any) {
	l.t.Helper()
	p := telemetry.Point{Time: when, Fields: fields}
	if _, _, err := telemetry.Encode(s, []telemetry.Point{p}); err != nil {
		l.t.Fatalf("data set: %v", err)
	}
	l.buf = telemetry.AppendLine(l.buf, s, p)
}

// metric appends a cell's or a device's metric.
func (l *lineProtocol) metric(site, cell, device, metric string, when time.Time, v any) {
	l.t.Helper()
	s := telemetry.Series{Site: site, Kind: telemetry.KindCell, Cell: cell, Metric: metric}
	if device != "" {
		s.Kind, s.Device = telemetry.KindDevice, device
	}
	l.add(s, when, map[string]any{"value": v})
}

// dataSet returns the line protocol of the known data set, written as the collector writes it.
func dataSet(t *testing.T) []byte {
	t.Helper()
	l := &lineProtocol{t: t}
	for cell := range states {
		// Sampling as the collector does: at each sample the time since the previous one is
		// added to the previous state, and the state is written when it changes.
		prev := ""
		for m := -60; m <= 240; m += 5 {
			state := stateAt(cell, m)
			if prev != "" {
				l.metric(site, cell, "", "time_"+prev+"_s", at(m), 300.0)
			}
			if state != prev {
				l.metric(site, cell, "", "machine_state", at(m), state)
			}
			prev = state
			q := 10.0 // before and after the range
			if m >= 0 && m < 240 {
				q = queueBase[cell][m/60] - 1
				if m/5%2 == 1 {
					q += 2
				}
			}
			l.metric(site, cell, "", "queue_length", at(m), q)
			// A device metric in the same cell: no panel reads the device measurement.
			l.metric(site, cell, "vat-a", "temperature", at(m), 60.0)
		}
	}
	for cell, us := range units {
		var last time.Time
		for _, u := range us {
			l.metric(site, cell, "", "units", at(u.min), u.units)
			if !last.IsZero() {
				l.metric(site, cell, "", "cycle_time_s", at(u.min), at(u.min).Sub(last).Seconds()/u.units)
			}
			last = at(u.min)
		}
	}
	for n, wo := range workOrders {
		l.add(telemetry.Series{Site: site, Kind: telemetry.KindWorkOrder, Drop: wo.drop,
			Tags: map[string]string{"sku": "RUG-1", "work_order": strconv.Itoa(1000 + n)}},
			at(wo.min), map[string]any{"turnaround_s": wo.turnaround, "quantity": 4.0, "late": wo.late})
	}
	// Each drop's progress every 30 minutes, as the book reports it: its completed work
	// orders so far and their nearest-rank median and p90 turnaround.
	for m := -60; m <= 240; m += 30 {
		for _, d := range drops {
			var done []float64
			for _, wo := range workOrders {
				if wo.drop == d && wo.min <= m {
					done = append(done, wo.turnaround)
				}
			}
			if len(done) == 0 {
				continue
			}
			slices.Sort(done)
			l.add(telemetry.Series{Site: site, Kind: telemetry.KindDrop, Drop: d}, at(m), map[string]any{
				"work_orders_done":    float64(len(done)),
				"turnaround_median_s": nearestRank(done, 0.5),
				"turnaround_p90_s":    nearestRank(done, 0.9),
			})
		}
	}

	// The repair measures, before the range, twice in it and at its stop.
	for _, r := range []struct {
		min            int
		rate, approved float64
	}{{-30, 0.5, 9}, {60, 0.125, 2}, {200, 0.25, 3}, {240, 0.75, 9}} {
		l.add(telemetry.Series{Site: site, Kind: telemetry.KindRepairs}, at(r.min), map[string]any{
			"repair_rate": r.rate, "reuse_rate": 0.5, "turnaround_median_s": 86400.0, "turnaround_p90_s": 172800.0,
			"approved": r.approved, "decided": 4.0, "revenue": 312.5, "open_received": 2.0, "open_estimated": 1.0,
			"open_approved": 3.0, "open_ready": 0.0, "open_requested": 5.0,
		})
	}

	// Each cell's OEE and losses so far today every hour, before the range, in it and at its
	// stop; the losses grow through the day.
	for _, o := range []struct {
		cell   string
		min    int
		oee    float64
		losses [6]float64
	}{
		{"dye-1", -60, 0.9, [6]float64{}}, {"dye-1", 0, 0.4, [6]float64{5}}, {"dye-1", 60, 0.45, [6]float64{10, 20}},
		{"dye-1", 120, 0.5, [6]float64{20, 20, 4}}, {"dye-1", 180, 0.55, [6]float64{30, 20, 5, 10, 0, 2.5}}, {"dye-1", 240, 0.99, [6]float64{99}},
		{"loom-1", 0, 0.3, [6]float64{}}, {"loom-1", 60, 0.3, [6]float64{1}}, {"loom-1", 120, 0.35, [6]float64{12, 0, 1, 40, 3, 0}},
	} {
		f := map[string]any{"today_oee": o.oee, "shift_oee": o.oee, "shift": "early"}
		for i, l := range []string{"breakdowns", "setup_adjustments", "small_stops", "reduced_speed", "startup_rejects", "production_rejects"} {
			f["today_"+l+"_min"] = o.losses[i]
		}
		l.add(telemetry.Series{Site: site, Kind: telemetry.KindOEE, Cell: o.cell}, at(o.min), f)
	}

	// The other site, with the same cells and drops and values no panel of site north may show.
	l.metric(otherSite, "dye-1", "", "units", at(30), 100.0)
	l.metric(otherSite, "dye-1", "", "machine_state", at(-30), "idle")
	l.metric(otherSite, "dye-1", "", "machine_state", at(30), "fault")
	l.metric(otherSite, "dye-1", "", "time_idle_s", at(30), 100.0)
	l.metric(otherSite, "dye-1", "", "queue_length", at(30), 100.0)
	l.add(telemetry.Series{Site: otherSite, Kind: telemetry.KindWorkOrder, Drop: "spring-27",
		Tags: map[string]string{"sku": "RUG-1", "work_order": "1"}},
		at(30), map[string]any{"turnaround_s": 100.0, "quantity": 1.0, "late": true})
	l.add(telemetry.Series{Site: otherSite, Kind: telemetry.KindDrop, Drop: "spring-27"}, at(30),
		map[string]any{"work_orders_done": 100.0, "turnaround_median_s": 100.0, "turnaround_p90_s": 100.0})
	l.add(telemetry.Series{Site: otherSite, Kind: telemetry.KindRepairs}, at(210),
		map[string]any{"repair_rate": 1.0, "approved": 100.0})
	l.add(telemetry.Series{Site: otherSite, Kind: telemetry.KindOEE, Cell: "dye-1"}, at(210),
		map[string]any{"today_oee": 1.0, "today_breakdowns_min": 100.0})
	return l.buf
}

// variableStyles are the two ways a query's Grafana variables v.timeRangeStart,
// v.timeRangeStop and v.windowPeriod can reach InfluxDB 1.8, whose Flux does not define v:
// Grafana replaces them in the query's text; a query run by hand needs v declared, which Flux
// accepts only after the imports.
var variableStyles = []struct {
	name  string
	apply func(q string) string
}{
	{
		name: "replaced as Grafana does",
		apply: func(q string) string {
			return strings.NewReplacer(
				"v.timeRangeStart", t0.Format(time.RFC3339Nano),
				"v.timeRangeStop", rangeStop.Format(time.RFC3339Nano),
				"v.windowPeriod", time.Hour.String(),
			).Replace(q)
		},
	},
	{
		name: "declared as an option",
		apply: func(q string) string {
			v := fmt.Sprintf("option v = {timeRangeStart: %s, timeRangeStop: %s, windowPeriod: 1h}\n",
				t0.Format(time.RFC3339), rangeStop.Format(time.RFC3339))
			lines := strings.SplitAfter(q, "\n")
			n := 0
			for i, line := range lines {
				if strings.HasPrefix(line, "import ") {
					n = i + 1
				}
			}
			return strings.Join(lines[:n], "") + v + strings.Join(lines[n:], "")
		},
	},
}

// readQuery returns the query in configs/grafana/queries/name.
func readQuery(t *testing.T, name string) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(queriesDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(src)
}

// fluxFor returns query q as InfluxDB is to run it for site: the dashboard's variables
// ${bucket} and ${site} replaced, as Grafana replaces them, and v as style has it.
func fluxFor(t *testing.T, q, site string, style func(string) string) string {
	t.Helper()
	q = strings.NewReplacer("${bucket}", bucket, "${site}", site).Replace(q)
	if strings.Contains(q, "$") {
		t.Fatalf("a Grafana variable other than ${bucket} and ${site}:\n%s", q)
	}
	return style(q)
}

// table is one table of a query's result.
type table struct {
	group []string // the group key's columns
	rows  []map[string]any
}

// runFlux runs a query and returns its tables.
func runFlux(ctx context.Context, t *testing.T, client influxdb2.Client, db *peertest.InfluxDB, q string) []table {
	t.Helper()
	res, err := client.QueryAPI("").Query(ctx, q)
	if err != nil {
		t.Fatalf("query: %v\n%s\n%s", err, q, db.Log())
	}
	defer res.Close()
	var tables []table
	for res.Next() {
		if res.TableChanged() || len(tables) == 0 {
			var group []string
			for _, c := range res.TableMetadata().Columns() {
				if c.IsGroup() {
					group = append(group, c.Name())
				}
			}
			tables = append(tables, table{group: group})
		}
		row := map[string]any{}
		for k, v := range res.Record().Values() {
			row[k] = v
		}
		tables[len(tables)-1].rows = append(tables[len(tables)-1].rows, row)
	}
	if err := res.Err(); err != nil {
		t.Fatalf("reading the result: %v\n%s", err, q)
	}
	return tables
}

// format returns a row's values of cols, space separated: times as minutes after t0
// ("+60m"), missing values and nulls as "null".
func format(row map[string]any, cols []string) string {
	var out []string
	for _, c := range cols {
		switch v := row[c].(type) {
		case nil:
			out = append(out, "null")
		case time.Time:
			out = append(out, fmt.Sprintf("%+dm", int(v.Sub(t0).Minutes())))
		case float64:
			out = append(out, strconv.FormatFloat(v, 'f', -1, 64))
		default:
			out = append(out, fmt.Sprint(v))
		}
	}
	return strings.Join(out, " ")
}

// queryTest is a query file and the rows it must return from the data set.
type queryTest struct {
	name string
	file string
	// group is the group key of every table: Grafana draws a series per table.
	group []string
	// cols are the columns compared, in the order of want's values.
	cols []string
	want []string
}

func TestQueriesAgainstInfluxDB(t *testing.T) {
	db := peertest.StartInfluxDB(t)
	db.CreateDatabase(t, database)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	client := influxdb2.NewClient(db.URL(), "")
	defer client.Close()
	if err := client.WriteAPIBlocking("", bucket).WriteRecord(ctx, string(dataSet(t))); err != nil {
		t.Fatalf("writing the data set: %v\n%s", err, db.Log())
	}

	tests := []queryTest{
		{
			name:  "throughput is the units each cell made in each hour, 0 when it made none",
			file:  "throughput.flux",
			group: []string{"_field", "cell"},
			cols:  []string{"cell", "_field", "_time", "_value"},
			want: []string{
				// An hour's sum is at its end. The unit at +120m counts in the hour it starts;
				// the one at +240m, the range's stop, is after the range.
				"dye-1 units +60m 12", "dye-1 units +120m 10", "dye-1 units +180m 8", "dye-1 units +240m 6",
				"loom-1 units +60m 0", "loom-1 units +120m 8", "loom-1 units +180m 9", "loom-1 units +240m 0",
			},
		},
		{
			name:  "cell state timeline starts with the state held when the range starts",
			file:  "cell_state.flux",
			group: []string{"_field", "cell"},
			cols:  []string{"cell", "_time", "_value"},
			want: []string{
				"dye-1 +0m running", "dye-1 +120m paused", "dye-1 +150m setup", "dye-1 +170m running", "dye-1 +210m fault",
				"loom-1 +0m idle", "loom-1 +60m running", "loom-1 +180m paused",
			},
		},
		{
			// A sample reports the 5 minutes before it: the one at +0m reports -5m..0m, and
			// the one reporting 235m..240m is at +240m, after the range.
			name:  "time in state is the seconds each cell spent in each state",
			file:  "time_in_state.flux",
			group: nil,
			cols:  []string{"cell", "running", "idle", "paused", "setup", "fault"},
			want: []string{
				"dye-1 9900 0 1800 1200 1500",
				"loom-1 7200 3900 3300 0 0",
			},
		},
		{
			name:  "queue length is each cell's mean queue per window period",
			file:  "queue_length.flux",
			group: []string{"_field", "cell"},
			cols:  []string{"cell", "_field", "_time", "_value"},
			want: []string{
				"dye-1 queue_length +60m 4", "dye-1 queue_length +120m 3", "dye-1 queue_length +180m 5", "dye-1 queue_length +240m 2",
				"loom-1 queue_length +60m 1", "loom-1 queue_length +120m 6", "loom-1 queue_length +180m 2", "loom-1 queue_length +240m 0",
			},
		},
		{
			name:  "median turnaround is the nearest-rank median of each drop's work orders per hour",
			file:  "turnaround_median.flux",
			group: []string{"drop"},
			cols:  []string{"drop", "_field", "_time", "_value"},
			want: []string{
				// 3600 5400 7200 9000 | 4000 12000 | 6000
				"spring-27 median +60m 5400", "spring-27 median +180m 4000", "spring-27 median +240m 6000",
				// 1800 2400 3000 3600 4200 | 10800
				"summer-27 median +120m 3000", "summer-27 median +240m 10800",
			},
		},
		{
			name:  "p90 turnaround is the nearest-rank 90th percentile of each drop's work orders per hour",
			file:  "turnaround_p90.flux",
			group: []string{"drop"},
			cols:  []string{"drop", "_field", "_time", "_value"},
			want: []string{
				"spring-27 p90 +60m 9000", "spring-27 p90 +180m 12000", "spring-27 p90 +240m 6000",
				"summer-27 p90 +120m 4200", "summer-27 p90 +240m 10800",
			},
		},
		{
			name:  "drop table is each drop's latest progress sample in the range",
			file:  "drop_latest.flux",
			group: nil,
			cols:  []string{"drop", "_time", "work_orders_done", "turnaround_median_s", "turnaround_p90_s"},
			want: []string{
				// spring-27 by +210m: 3600 4000 5400 6000 7200 8000 9000 12000
				"spring-27 +210m 8 6000 12000",
				// summer-27 by +210m: 1800 2400 3000 3600 4200
				"summer-27 +210m 5 3000 4200",
			},
		},
		{
			name:  "late work orders counts each drop's late and completed work orders in the range",
			file:  "late_work_orders.flux",
			group: nil,
			cols:  []string{"drop", "late", "work_orders"},
			want:  []string{"spring-27 2 7", "summer-27 3 6"},
		},
		{
			name:  "repairs table is the site's latest repair measures in the range",
			file:  "repairs_latest.flux",
			group: nil,
			cols: []string{"_time", "repair_rate", "reuse_rate", "turnaround_median_s", "turnaround_p90_s", "approved", "decided",
				"revenue", "open_received", "open_estimated", "open_approved", "open_ready"},
			want: []string{"+200m 0.25 0.5 86400 172800 3 4 312.5 2 1 3 0"},
		},
		{
			name:  "OEE per cell is each cell's OEE so far today, the last sample of each hour",
			file:  "oee_per_cell.flux",
			group: []string{"_field", "cell"},
			cols:  []string{"cell", "_field", "_time", "_value"},
			want: []string{
				"dye-1 today_oee +60m 0.4", "dye-1 today_oee +120m 0.45", "dye-1 today_oee +180m 0.5", "dye-1 today_oee +240m 0.55",
				"loom-1 today_oee +60m 0.3", "loom-1 today_oee +120m 0.3", "loom-1 today_oee +180m 0.35",
			},
		},
		{
			name:  "losses table is each cell's six big losses from its latest sample in the range",
			file:  "oee_losses.flux",
			group: nil,
			cols: []string{"cell", "today_breakdowns_min", "today_setup_adjustments_min", "today_small_stops_min", "today_reduced_speed_min",
				"today_startup_rejects_min", "today_production_rejects_min"},
			want: []string{"dye-1 30 20 5 10 0 2.5", "loom-1 12 0 1 40 3 0"},
		},
		{
			name:  "site variable lists the sites that wrote cell telemetry",
			file:  "site.flux",
			group: nil,
			cols:  []string{"_value"},
			want:  []string{"north", "south"},
		},
	}
	files, err := filepath.Glob(filepath.Join(queriesDir, "*.flux"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !slices.ContainsFunc(tests, func(tt queryTest) bool { return tt.file == filepath.Base(f) }) {
			t.Errorf("%s has no test", f)
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := readQuery(t, tt.file)
			for _, style := range variableStyles {
				q := fluxFor(t, src, site, style.apply)
				var got []string
				for _, tbl := range runFlux(ctx, t, client, db, q) {
					slices.Sort(tbl.group)
					if !slices.Equal(tbl.group, tt.group) {
						t.Errorf("%s, variables %s: a table grouped by %q, want %q", tt.file, style.name, tbl.group, tt.group)
					}
					for _, row := range tbl.rows {
						got = append(got, format(row, tt.cols))
					}
				}
				if !slices.Equal(got, tt.want) {
					t.Errorf("%s, variables %s: got rows (%s)\n\t%s\nwant\n\t%s\nquery:\n%s", tt.file, style.name,
						strings.Join(tt.cols, " "), strings.Join(got, "\n\t"), strings.Join(tt.want, "\n\t"), q)
				}
			}
		})
	}
}

// dashboard is what the tests read of the dashboard's JSON.
type dashboard struct {
	Inputs        []input   `json:"__inputs"`
	Requires      []require `json:"__requires"`
	SchemaVersion int       `json:"schemaVersion"`
	UID           string    `json:"uid"`
	Title         string    `json:"title"`
	Templating    struct {
		List []struct {
			Type       string      `json:"type"`
			Name       string      `json:"name"`
			Query      string      `json:"query"`
			Definition string      `json:"definition"`
			Datasource *datasource `json:"datasource"`
			Current    struct {
				Value any `json:"value"`
			} `json:"current"`
		} `json:"list"`
	} `json:"templating"`
	Panels []panel `json:"panels"`
}

// input is a value asked for on import.
type input struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	PluginID string `json:"pluginId"`
}

// require is a plugin the dashboard needs.
type require struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

type datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type panel struct {
	ID         int         `json:"id"`
	Type       string      `json:"type"`
	Title      string      `json:"title"`
	Datasource *datasource `json:"datasource"`
	GridPos    struct {
		H, W, X, Y int
	} `json:"gridPos"`
	Targets []struct {
		RefID      string      `json:"refId"`
		Query      string      `json:"query"`
		Datasource *datasource `json:"datasource"`
	} `json:"targets"`
}

// influxDB is the data source every panel and query uses: the one chosen on import.
var influxDB = datasource{Type: "influxdb", UID: "${DS_INFLUXDB}"}

func readDashboard(t *testing.T) dashboard {
	t.Helper()
	src, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(src) {
		t.Fatalf("%s is not valid JSON", dashboardFile)
	}
	var d dashboard
	if err := json.Unmarshal(src, &d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	return d
}

func TestDashboardImportable(t *testing.T) {
	d := readDashboard(t)
	if d.UID == "" || d.Title == "" {
		t.Errorf("uid %q, title %q: both must be set", d.UID, d.Title)
	}
	if d.SchemaVersion < 36 {
		t.Errorf("schemaVersion %d: data source references need 36 or later", d.SchemaVersion)
	}
	if !slices.Contains(d.Inputs, input{Name: "DS_INFLUXDB", Type: "datasource", PluginID: "influxdb"}) {
		t.Errorf("__inputs %+v: no InfluxDB data source input DS_INFLUXDB", d.Inputs)
	}
	vars := map[string]int{}
	for i, v := range d.Templating.List {
		vars[v.Name] = i
	}
	if i, ok := vars["bucket"]; !ok {
		t.Errorf("no bucket variable")
	} else if v := d.Templating.List[i]; v.Query != bucket || v.Current.Value != bucket {
		t.Errorf("bucket variable: default %q, current %v, want %q", v.Query, v.Current.Value, bucket)
	}
	if i, ok := vars["site"]; !ok {
		t.Errorf("no site variable")
	} else if v := d.Templating.List[i]; v.Type != "query" || v.Datasource == nil || *v.Datasource != influxDB {
		t.Errorf("site variable: type %q, data source %+v, want a query of %+v", v.Type, v.Datasource, influxDB)
	}

	ids := map[int]bool{}
	for _, p := range d.Panels {
		t.Run(p.Title, func(t *testing.T) {
			if ids[p.ID] {
				t.Errorf("panel id %d is not unique", p.ID)
			}
			ids[p.ID] = true
			if !slices.Contains(d.Requires, require{Type: "panel", ID: p.Type}) {
				t.Errorf("panel type %q is not in __requires", p.Type)
			}
			if p.Datasource == nil || *p.Datasource != influxDB {
				t.Errorf("data source %+v, want %+v", p.Datasource, influxDB)
			}
			if len(p.Targets) == 0 {
				t.Fatalf("no targets")
			}
			refs := map[string]bool{}
			for _, tg := range p.Targets {
				if tg.RefID == "" || refs[tg.RefID] {
					t.Errorf("target refId %q is empty or not unique", tg.RefID)
				}
				refs[tg.RefID] = true
				if tg.Datasource == nil || *tg.Datasource != influxDB {
					t.Errorf("target %s: data source %+v, want %+v", tg.RefID, tg.Datasource, influxDB)
				}
				if !strings.Contains(tg.Query, `from(bucket: "${bucket}")`) || !strings.Contains(tg.Query, `r.site == "${site}"`) {
					t.Errorf("target %s: the query does not read ${bucket} or filter on ${site}:\n%s", tg.RefID, tg.Query)
				}
			}
			for _, q := range d.Panels {
				if q.ID != p.ID && overlap(p, q) {
					t.Errorf("overlaps panel %q", q.Title)
				}
			}
		})
	}
}

// overlap reports whether two panels' grid positions overlap: Grafana would move one.
func overlap(a, b panel) bool {
	ga, gb := a.GridPos, b.GridPos
	return ga.X < gb.X+gb.W && gb.X < ga.X+ga.W && ga.Y < gb.Y+gb.H && gb.Y < ga.Y+ga.H
}

// embedTest is a query of the dashboard and the file it must equal.
type embedTest struct {
	name  string
	panel string // a panel's title, or "" for the site variable
	refID string
	file  string
}

func TestDashboardEmbedsQueryFiles(t *testing.T) {
	d := readDashboard(t)
	tests := []embedTest{
		{name: "throughput", panel: "Throughput per cell (units per hour)", refID: "A", file: "throughput.flux"},
		{name: "cell state", panel: "Cell state", refID: "A", file: "cell_state.flux"},
		{name: "time in state", panel: "Time in each state per cell", refID: "A", file: "time_in_state.flux"},
		{name: "queue length", panel: "Queue length per cell", refID: "A", file: "queue_length.flux"},
		{name: "median turnaround", panel: "Turnaround per drop (median and p90)", refID: "A", file: "turnaround_median.flux"},
		{name: "p90 turnaround", panel: "Turnaround per drop (median and p90)", refID: "B", file: "turnaround_p90.flux"},
		{name: "drop table", panel: "Drops", refID: "A", file: "drop_latest.flux"},
		{name: "late work orders", panel: "Late work orders per drop", refID: "A", file: "late_work_orders.flux"},
		{name: "repairs table", panel: "Repairs (last 7 days)", refID: "A", file: "repairs_latest.flux"},
		{name: "OEE per cell", panel: "OEE per cell (today so far)", refID: "A", file: "oee_per_cell.flux"},
		{name: "losses table", panel: "Six big losses per cell (today, minutes)", refID: "A", file: "oee_losses.flux"},
		{name: "site variable", panel: "", file: "site.flux"},
	}

	// Every query of the dashboard is one of the table's, and every file is in the table.
	embedded := map[[2]string]string{} // by panel title and refId
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			embedded[[2]string{p.Title, tg.RefID}] = tg.Query
		}
	}
	for _, v := range d.Templating.List {
		if v.Name == "site" {
			embedded[[2]string{"", ""}] = v.Query
			if v.Definition != v.Query {
				t.Errorf("site variable: definition differs from its query")
			}
		}
	}
	for key := range embedded {
		if !slices.ContainsFunc(tests, func(tt embedTest) bool {
			return tt.panel == key[0] && tt.refID == key[1]
		}) {
			t.Errorf("panel %q, query %s: no query file for it in this test", key[0], key[1])
		}
	}
	files, err := filepath.Glob(filepath.Join(queriesDir, "*.flux"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !slices.ContainsFunc(tests, func(tt embedTest) bool {
			return tt.file == filepath.Base(f)
		}) {
			t.Errorf("%s is in no panel of this test", f)
		}
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := embedded[[2]string{tt.panel, tt.refID}]
			if !ok {
				t.Fatalf("the dashboard has no query %s in panel %q", tt.refID, tt.panel)
			}
			if want := readQuery(t, tt.file); got != want {
				t.Errorf("panel %q, query %s differs from %s:\n--- dashboard\n%s\n--- %s\n%s", tt.panel, tt.refID, tt.file, got, tt.file, want)
			}
		})
	}
}
