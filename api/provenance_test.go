package api

import (
	"net/http"
	"testing"

	"github.com/cellforge/cellforge/book/provenance"
)

// TestPublicKeys reads the studio's public keys without signing in: the key set of the daemon's
// key ring, which a client may cache for a while; a daemon without a key ring answers 404.
func TestPublicKeys(t *testing.T) {
	ring, err := provenance.OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		keys       KeyRing
		wantStatus int
		wantKey    string
	}{
		{name: "a key ring", keys: ring, wantStatus: http.StatusOK, wantKey: ring.KeyID()},
		{name: "no key ring", wantStatus: http.StatusNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServerConfig(t, func(c *Config) { c.Keys = tc.keys })
			r := ts.do(t, "GET", KeysPath, "", "", "")
			if r.status != tc.wantStatus {
				t.Fatalf("GET %s = %d %s, want %d", KeysPath, r.status, r.body, tc.wantStatus)
			}
			if tc.wantStatus != http.StatusOK {
				if code := r.errorCode(t); code != codeNotFound {
					t.Errorf("error code %q, want %q", code, codeNotFound)
				}
				return
			}
			if got := r.header.Get("Cache-Control"); got != "public, max-age=300" {
				t.Errorf("Cache-Control = %q, want public, max-age=300", got)
			}
			if got := r.header.Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type = %q", got)
			}
			set, err := provenance.ParsePublicKeySet(r.body)
			if err != nil {
				t.Fatalf("%v: %s", err, r.body)
			}
			if len(set.Keys) != 1 || set.Keys[0].ID != tc.wantKey {
				t.Errorf("keys = %+v, want only %s", set.Keys, tc.wantKey)
			}
			want, _ := ring.PublicKeys().Marshal()
			if string(r.body) != string(want) {
				t.Errorf("body = %s, want %s", r.body, want)
			}
		})
	}
}
