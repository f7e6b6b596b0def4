package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
)

// TestServeBoundsBatchesByTheFlag checks that --max-batch-bytes bounds an order batch upload: a
// batch of the bound is imported, one byte more is refused before any of it is read.
func TestServeBoundsBatchesByTheFlag(t *testing.T) {
	good := []byte("order_id,sku,quantity\nLIMIT-1,RUG-KILIM-S,1\n")
	d := startDaemon(t, "../../configs/demo.yaml", t.TempDir(), "--max-batch-bytes", fmt.Sprint(len(good)), "--plan-search", "0")
	ctx := context.Background()
	tests := []struct {
		name string
		body []byte
		want int
	}{
		{name: "one byte over", body: append(bytes.Clone(good), '\n'), want: 413},
		{name: "of the bound", body: good, want: 201},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, err := request(ctx, "POST", d.url+"/api/v1/drops/spring-27/orders", demoPlanner, "text/csv", tt.body, nil)
			if err != nil || code != tt.want {
				t.Errorf("%d bytes with --max-batch-bytes %d: %d %v, want %d\n%s", len(tt.body), len(good), code, err, tt.want, d.logs())
			}
		})
	}
}

func TestServeRefusesABatchBoundBelowOne(t *testing.T) {
	for _, bound := range []string{"0", "-1"} {
		t.Run(bound, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := []string{"serve", "--config", "../../configs/demo.yaml", "--listen", "127.0.0.1:0", "--data", t.TempDir(), "--max-batch-bytes", bound}
			if code := run(context.Background(), args, nil, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "--max-batch-bytes "+bound+": want 1 or more") {
				t.Fatalf("exit %d, stderr %q; want exit 1 and the flag's range", code, stderr.String())
			}
		})
	}
}
