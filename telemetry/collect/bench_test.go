package collect_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/configs"
	"github.com/cellforge/cellforge/telemetry"
	"github.com/cellforge/cellforge/telemetry/collect"
)

// BenchmarkCollectorReads measures the read of the repair measures (every repair of the book,
// over 7 days) beside its peer, a step of the collector without them (the queue of each of the
// 4 cells, the events since the last step, the drop's turnaround), on a book of 1,000 open
// work orders and 1,000 repairs taken in at the counter.
func BenchmarkCollectorReads(b *testing.B) {
	const orders, repairs = 1000, 1000
	ctx := context.Background()
	var csv strings.Builder
	for i := range orders {
		fmt.Fprintf(&csv, "B%d,SCARF,1\n", i)
	}
	bk, c := newBook(b, csv.String())
	bk.Factory().Aftercare = &configs.Aftercare{
		EstimateValid: 14 * 24 * time.Hour,
		Currency:      "EUR",
		Diagnosis:     configs.Step{Name: "diagnosis", Capability: "pack", UnitTime: 30 * time.Minute},
		Kinds:         []configs.ItemKind{{ID: "ring", Name: "Ring"}},
	}
	for i := range repairs {
		if _, _, err := bk.OpenRepair(ctx, book.RepairIntake{Source: book.SourceCounter, Item: "silver ring", Kind: "ring",
			Customer: fmt.Sprintf("customer %d", i%300), Actor: "ines"}); err != nil {
			b.Fatal(err)
		}
		c.Advance(time.Minute)
	}
	rec := &recorder{points: map[string][]telemetry.Point{}, series: map[string]telemetry.Series{}, retained: map[string]string{}}
	col := collect.New(collect.Config{Site: "s", Book: bk, Publisher: rec, Cells: []string{"dye-1", "weave-1", "weave-2", "pack-1"},
		Drops: []string{"later"}, Now: c.Now})
	if err := col.Prime(ctx); err != nil {
		b.Fatal(err)
	}
	b.Run(fmt.Sprintf("peer-step-%d", orders), func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := col.Step(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run(fmt.Sprintf("repair-measures-%d", repairs), func(b *testing.B) {
		b.ReportAllocs()
		now := c.Now()
		for b.Loop() {
			m, err := bk.RepairMeasures(ctx, now.Add(-collect.RepairWindow), now)
			if err != nil {
				b.Fatal(err)
			}
			if m.States[book.RepairReceived] != repairs {
				b.Fatalf("%d repairs received, want %d", m.States[book.RepairReceived], repairs)
			}
		}
	})
}
