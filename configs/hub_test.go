package configs_test

import (
	"encoding/base64"
	"os"
	"testing"
	"time"

	"github.com/cellforge/cellforge/configs"
)

// TestParseHubExample parses configs/examples/hub.yaml and checks what a hub takes from it.
func TestParseHubExample(t *testing.T) {
	data, err := os.ReadFile("examples/hub.yaml")
	if err != nil {
		t.Fatal(err)
	}
	h, err := configs.ParseHub("examples/hub.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", h)
	_ = base64.StdEncoding
	_ = time.Second
}
