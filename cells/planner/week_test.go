package planner_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/booktest"
	"github.com/cellforge/cellforge/cells/planner"
	"github.com/cellforge/cellforge/configs"
)

// A tight week at the demo studio (configs/demo.yaml, its cells and products as they are),
// generated from a seed: weekOrders orders of weekUnits units in all, 1 to 3 units each, of the
// seven woven products, 40 % of the orders in a drop due in 2 days ("rush") and the rest in
// one due in 7 ("week"), the products chosen so that the three looms' work (unit times and a
// setup per order) is weekLoad of their 7 days around the clock. The rush drop alone is more
// than the looms can weave in 2 days: some of its orders are late whatever the plan, and the
// plan decides how many.
const (
	weekOrders = 132
	weekUnits  = 229
	weekLoad   = 1.01
	weekRush   = 0.4
)

// week is the tight week's order book, its planner not yet running.
type week struct {
	*fixture
	// LoomLoad is the looms' work over their 7 days; Bound is a lower bound on the makespan
	// from the unit times alone: the busiest capability's work spread over its cells, from now.
	LoomLoad float64
	Bound    time.Time
}

// newWeek imports the tight week of seed into a new book and gives it a planner of cfg (Book,
// Factory and Now are set here).
func newWeek(tb testing.TB, seed uint64, cfg planner.Config) *week {
	tb.Helper()
	raw, err := os.ReadFile("../../configs/demo.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	text := string(raw)
	from, to := strings.Index(text, "\ndrops:\n"), strings.Index(text, "\n# Repairs and aftercare")
	if from < 0 || to < from {
		tb.Fatal("configs/demo.yaml: no drops section before the aftercare")
	}
	f := booktest.Parse(tb, "demo-week.yaml", []byte(text[:from]+weekDrops(tb)+text[to:]))
	st, _ := booktest.Store(tb, "book.db")
	clock := booktest.NewClock(booktest.Start)
	b := book.New(book.Config{Store: st, Factory: f, Now: clock.Now})
	cfg.Book, cfg.Factory, cfg.Now = b, f, clock.Now
	p := planner.New(cfg)
	b.UsePlan(p)
	w := &week{fixture: &fixture{book: b, planner: p, factory: f, clock: clock}}
	rush, rest, load := weekBatches(f, seed)
	w.importCSV(tb, "rush", rush)
	w.importCSV(tb, "week", rest)
	w.LoomLoad = load
	w.Bound = unitTimeBound(tb, w.fixture)
	return w
}

// weekDrops is the drops section of the week's factory: every woven product may sell plenty.
func weekDrops(tb testing.TB) string {
	tb.Helper()
	var s strings.Builder
	s.WriteString("\ndrops:\n")
	for _, d := range []struct {
		id   string
		days int
	}{{"rush", 2}, {"week", 7}} {
		fmt.Fprintf(&s, "  - id: %s\n    name: %s\n    date: %s\n    windows:\n", d.id, d.id,
			booktest.Start.Add(time.Duration(d.days)*24*time.Hour).Format(time.RFC3339))
		for _, sku := range wovenSKUs {
			fmt.Fprintf(&s, "      %s: 1000\n", sku)
		}
	}
	return s.String()
}

// wovenSKUs are the demo studio's products woven on the looms, lightest first.
var wovenSKUs = []string{"SCARF-GAUZE-INDIGO", "CUSHION-IKAT-SAFFRON", "MAT-BATH-SAGE", "THROW-WAFFLE-OAT",
	"RUG-KILIM-S", "RUNNER-MADDER", "RUG-KILIM-L"}

// weekBatches draws the week's orders from seed: the quantities (1 to 3, weekUnits in all),
// the products, then moves orders to the next heavier or lighter product until the looms'
// load is within half a percent of weekLoad. It returns the two drops' CSV and the load.
func weekBatches(f *configs.Factory, seed uint64) (rush, rest string, load float64) {
	rng := rand.New(rand.NewPCG(seed, 0x7ea))
	qty := make([]int, weekOrders)
	for i := range qty {
		qty[i] = 1
	}
	for extra := weekUnits - weekOrders; extra > 0; {
		if i := rng.IntN(weekOrders); qty[i] < 3 {
			qty[i]++
			extra--
		}
	}
	kind := make([]int, weekOrders) // index in wovenSKUs
	for i := range kind {
		kind[i] = rng.IntN(len(wovenSKUs))
	}
	loom := func() float64 {
		var work time.Duration
		for i, k := range kind {
			work += weaveTime(f, wovenSKUs[k], qty[i])
		}
		return float64(work) / float64(3*7*24*time.Hour)
	}
	for load = loom(); load < weekLoad-0.005 || load > weekLoad+0.005; load = loom() {
		i := rng.IntN(weekOrders)
		if load < weekLoad && kind[i] < len(wovenSKUs)-1 {
			kind[i]++
		} else if load > weekLoad && kind[i] > 0 {
			kind[i]--
		}
	}
	var r, w strings.Builder
	r.WriteString("order_id,sku,quantity\n")
	w.WriteString("order_id,sku,quantity\n")
	rushOrders := int(math.Round(weekRush * weekOrders))
	for i := range weekOrders {
		to := &w
		if i < rushOrders {
			to = &r
		}
		fmt.Fprintf(to, "W%03d,%s,%d\n", i, wovenSKUs[kind[i]], qty[i])
	}
	return r.String(), w.String(), load
}

// weaveTime is the loom time of an order of n units of sku: the setup and n unit times.
func weaveTime(f *configs.Factory, sku string, n int) time.Duration {
	for _, p := range f.Products {
		if p.SKU != sku {
			continue
		}
		for _, s := range p.Routing {
			if s.Capability == "weave" {
				return s.Setup + time.Duration(n)*s.UnitTime
			}
		}
	}
	panic("no weave step for " + sku)
}

// unitTimeBound is a lower bound on the makespan of the open work from the unit times alone,
// from now: for every capability, its operations' unit times over the number of cells that
// offer it (setups, changeovers and the order of operations left out).
func unitTimeBound(tb testing.TB, fx *fixture) time.Time {
	tb.Helper()
	work, _, err := fx.book.OpenWork(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	need := make(map[string]time.Duration)
	for _, w := range work {
		for _, op := range w.Operations {
			need[op.Capability] += time.Duration(op.Quantity) * op.UnitTime
		}
	}
	var longest time.Duration
	for capability, d := range need {
		n := 0
		for _, c := range fx.factory.Cells {
			if slices.Contains(c.Capabilities, capability) {
				n++
			}
		}
		if n == 0 {
			tb.Fatalf("no cell offers %s", capability)
		}
		longest = max(longest, d/time.Duration(n))
	}
	return fx.clock.Now().Add(longest)
}
