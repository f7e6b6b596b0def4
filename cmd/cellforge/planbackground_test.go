package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestServeRefusesABackgroundShareOutOfRange(t *testing.T) {
	for _, share := range []string{"-0.1", "1.5", "NaN"} {
		t.Run(share, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := []string{"serve", "--config", "../../configs/demo.yaml", "--listen", "127.0.0.1:0", "--data", t.TempDir(), "--plan-background", share}
			if code := run(context.Background(), args, nil, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "--plan-background "+share+": want a share of one core from 0 (off) to 1") {
				t.Fatalf("exit %d, stderr %q; want exit 1 and the flag's range", code, stderr.String())
			}
		})
	}
}
