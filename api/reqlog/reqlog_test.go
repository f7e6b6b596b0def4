package reqlog

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

func TestStartTakesSaneIDsOnly(t *testing.T) {
	for _, tc := range []struct {
		name, client string
		kept         bool
	}{
		{"uuid", "3f2a7c9e-1b2d-4e5f-8a9b-0c1d2e3f4a5b", true},
		{"proxy's", "edge-1:req.42_a", true},
		{"empty", "", false},
		{"space", "a b", false},
		{"newline", "a\nlevel=ERROR", false},
		{"quote", `a"b`, false},
		{"equals", "a=b", false},
		{"too long", strings.Repeat("a", 129), false},
		{"longest", strings.Repeat("a", 128), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			id, ctx := Start(context.Background(), tc.client, slog.New(slog.NewJSONHandler(&out, nil)))
			if kept := id == tc.client; kept != tc.kept {
				t.Fatalf("id %q from %q: kept %v, want %v", id, tc.client, kept, tc.kept)
			}
			if !Sane(id) {
				t.Fatalf("id %q is not sane", id)
			}
			if ID(ctx) != id {
				t.Fatalf("ID(ctx) = %q, want %q", ID(ctx), id)
			}
			Logger(ctx, nil).Info("hello")
			var line map[string]any
			if err := json.Unmarshal(out.Bytes(), &line); err != nil {
				t.Fatal(err)
			}
			if line[Key] != id {
				t.Fatalf("line %v, want %s=%s", line, Key, id)
			}
		})
	}
}

func TestOutsideARequest(t *testing.T) {
	fallback := slog.New(slog.DiscardHandler)
	if Logger(context.Background(), fallback) != fallback || ID(context.Background()) != "" {
		t.Fatal("outside a request: want the fallback logger and no id")
	}
	if a, b := NewID(), NewID(); a == b || len(a) != 32 {
		t.Fatalf("NewID gave %q and %q", a, b)
	}
}
