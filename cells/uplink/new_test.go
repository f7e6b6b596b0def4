package uplink_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/cells/uplink"
)

// TestNewRefuses: a config without what the uplink needs, or a state file it cannot read, is
// refused with the field or the file named.
func TestNewRefuses(t *testing.T) {
	s := newSite(t)
	good := uplink.Config{Site: "porto", Book: s.book, Planner: s.planner, Link: s.link, Dir: t.TempDir()}
	corrupt := t.TempDir()
	if err := os.WriteFile(filepath.Join(corrupt, "uplink.json"), []byte(`{"cursor":`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change func(*uplink.Config)
		says   string
	}{
		{"no site", func(c *uplink.Config) { c.Site = "" }, "Site is empty"},
		{"the hub's id", func(c *uplink.Config) { c.Site = "hub" }, `Site "hub" is the hub's id`},
		{"no book", func(c *uplink.Config) { c.Book = nil }, "Book is nil"},
		{"no planner", func(c *uplink.Config) { c.Planner = nil }, "Planner is nil"},
		{"no link", func(c *uplink.Config) { c.Link = nil }, "Link is nil"},
		{"no dir", func(c *uplink.Config) { c.Dir = "" }, "Dir is empty"},
		{"negative margin", func(c *uplink.Config) { c.Margin = -time.Second }, "Margin -1s is negative"},
		{"negative status", func(c *uplink.Config) { c.StatusEvery = -time.Second }, "StatusEvery -1s is negative"},
		{"corrupt state", func(c *uplink.Config) { c.Dir = corrupt }, filepath.Join(corrupt, "uplink.json")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.change(&cfg)
			_, err := uplink.New(cfg)
			if err == nil || !strings.Contains(err.Error(), tt.says) {
				t.Errorf("New: err = %v, want one saying %q", err, tt.says)
			}
		})
	}
	if _, err := uplink.New(good); err != nil {
		t.Errorf("New of a good config: %v", err)
	}
}
