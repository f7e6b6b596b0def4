package main

import (
	"net"
	"os"
	"testing"
)

func TestOwnProvenanceURL(t *testing.T) {
	host, _ := os.Hostname()
	tests := []struct {
		hosts  []string
		listen string
		want   string
	}{
		{nil, "127.0.0.1:8080", "http://127.0.0.1:8080/u/{serial}"},
		{[]string{"floor.studio.lan", "cellforge.local"}, "0.0.0.0:8080", "http://floor.studio.lan:8080/u/{serial}"},
		{[]string{"floor.studio.lan"}, "0.0.0.0:80", "http://floor.studio.lan/u/{serial}"},
		{nil, "[::1]:9000", "http://[::1]:9000/u/{serial}"},
		{nil, "[::1]:80", "http://[::1]/u/{serial}"},
		{nil, "0.0.0.0:8080", "http://" + net.JoinHostPort(host, "8080") + "/u/{serial}"},
	}
	for _, tt := range tests {
		if got := ownProvenanceURL(tt.hosts, tt.listen); got != tt.want {
			t.Errorf("ownProvenanceURL(%v, %q) = %q, want %q", tt.hosts, tt.listen, got, tt.want)
		}
	}
}
