package configs_test

import (
	"crypto/ed25519"
	"strings"
	"testing"

	"github.com/cellforge/cellforge/configs"
)

func TestPublicKeyText(t *testing.T) {
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	s := configs.FormatPublicKey(pub)
	if !strings.HasPrefix(s, "ed25519:") || !strings.HasSuffix(s, "=") {
		t.Fatalf("FormatPublicKey: %q, want ed25519: and padded base64", s)
	}
	back, err := configs.ParsePublicKey(s)
	if err != nil || !back.Equal(pub) {
		t.Fatalf("ParsePublicKey(%q) = %x, %v; want %x", s, back, err, pub)
	}
	const notKey, notBase64 = "is not an Ed25519 public key", "is not standard, padded base64"
	tests := []struct {
		name, in, want string
	}{
		{name: "no prefix", in: strings.TrimPrefix(s, "ed25519:"), want: notKey},
		{name: "other algorithm", in: "rsa:" + strings.TrimPrefix(s, "ed25519:"), want: notKey},
		{name: "ssh", in: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA", want: notKey},
		{name: "not base64", in: "ed25519:!!!!", want: notBase64},
		{name: "unpadded", in: strings.TrimSuffix(s, "="), want: notBase64},
		{name: "line break", in: s[:20] + "\n" + s[20:], want: notBase64},
		{name: "URL alphabet", in: "ed25519:Xpz4IUdvR-VDwaFzBa0oWrdNTN5XXVu2Pe4uNxLVK8I=", want: notBase64},
		{name: "space", in: "ed25519: " + strings.TrimPrefix(s, "ed25519:"), want: notBase64},
		{name: "short", in: "ed25519:AAAA", want: "the key is 3 bytes long, an Ed25519 public key 32"},
		{name: "empty", in: "", want: notKey},
		{name: "long text shortened", in: strings.Repeat("x", 200), want: strings.Repeat("x", 64) + `…" ` + notKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := configs.ParsePublicKey(tc.in)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ParsePublicKey(%q): %v, want an error saying %q", tc.in, err, tc.want)
			}
		})
	}
}
