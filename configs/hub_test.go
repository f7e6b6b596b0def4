package configs_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/configs"
)

// TestParseHubBad parses every testdata/hub/<name>.bad.yaml with ParseHub and compares the
// error lines with the file's leading "# want: " comments, exactly and in order.
func TestParseHubBad(t *testing.T) {
	files, err := filepath.Glob("testdata/hub/*.bad.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no testdata/hub/*.bad.yaml")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			checkBad(t, file, func(file string, data []byte) (any, error) {
				h, err := configs.ParseHub(file, data)
				if h == nil {
					return nil, err
				}
				return h, err
			})
		})
	}
}

// publicKey decodes the base64 of a public key written in a test file.
func publicKey(t testing.TB, s string) ed25519.PublicKey {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, "ed25519:"))
	if err != nil || len(raw) != ed25519.PublicKeySize {
		t.Fatalf("bad test key %q", s)
	}
	return raw
}

// TestParseHubExample parses configs/examples/hub.yaml and checks everything a hub takes from
// it.
func TestParseHubExample(t *testing.T) {
	const file = "examples/hub.yaml"
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	h, err := configs.ParseHub(file, data)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkHubInvariants(h); err != nil {
		t.Error(err)
	}
	b := h.Broker
	got := struct {
		File, Name, Postgres, Key                string
		URL, User, PasswordFile, PasswordEnv, CA string
		Ack, Promise, Online                     time.Duration
		KeyFile                                  string
	}{h.File, h.Name, h.Postgres, h.Key, b.URL, b.Username, b.PasswordFile, b.PasswordEnv, b.CAFile,
		h.AckTimeout, h.PromiseTimeout, h.OnlineWithin, h.KeyFile("/data")}
	want := got
	want.File, want.Name, want.Key, want.KeyFile = file, "North Atlantic makers", "/var/lib/cellforge-hub/network.key", "/var/lib/cellforge-hub/network.key"
	want.Postgres = "postgres://hub@127.0.0.1:5432/cellforge?sslmode=disable"
	want.URL, want.User, want.PasswordFile, want.PasswordEnv, want.CA = "ssl://broker.north-atlantic.example:8883", "hub", "/etc/cellforge/hub.mqtt", "", "/etc/cellforge/network-ca.pem"
	want.Ack, want.Promise, want.Online = 2*time.Minute, 10*time.Second, 90*time.Second
	if got != want {
		t.Errorf("hub:\n got %+v\nwant %+v", got, want)
	}
	wantSites := []configs.HubSite{
		{ID: "porto", Name: "Porto loom studio", Location: configs.Location{Lat: 41.15, Lon: -8.61}, Key: publicKey(t, "Xpz4IUdvR+VDwaFzBa0oWrdNTN5XXVu2Pe4uNxLVK8I="), Line: 36},
		{ID: "lisbon", Name: "Lisbon dye kitchen", Location: configs.Location{Lat: 38.72, Lon: -9.14}, Key: publicKey(t, "4+cvJc8/JGINsU/mXw4P7Eg0DbIAl8POe+Nm3RCxaGc="), Line: 40},
		{ID: "madrid", Name: "Madrid finishing bench", Location: configs.Location{Lat: 40.42, Lon: -3.70}, Key: publicKey(t, "gjRPID0CYNx5mUGtZZbZgz8dyxoesyIgXVNaOSafpxE="), Line: 44},
	}
	if !reflect.DeepEqual(h.Sites, wantSites) {
		t.Errorf("sites:\n got %+v\nwant %+v", h.Sites, wantSites)
	}
	wantDrops := []configs.HubDrop{{ID: "winter-26", Date: time.Date(2026, 12, 18, 0, 0, 0, 0, time.UTC), SKUs: []string{"RUG-KILIM-S", "RUG-KILIM-L", "SCARF-GAUZE-INDIGO"}, Line: 52}}
	if !reflect.DeepEqual(h.Drops, wantDrops) {
		t.Errorf("drops:\n got %+v\nwant %+v", h.Drops, wantDrops)
	}
	wantTokens := []configs.Token{{Name: "planning-desk", Role: configs.RolePlanner, SHA256: "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8", Line: 58}}
	if !reflect.DeepEqual(h.Tokens, wantTokens) {
		t.Errorf("tokens:\n got %+v\nwant %+v", h.Tokens, wantTokens)
	}
}

// minimalHub is the smallest hub's file ParseHub accepts.
const minimalHub = `store: {postgres: "postgres://hub@127.0.0.1/cellforge"}
broker: {url: "tcp://127.0.0.1:1883"}
sites:
  - {id: porto, location: {lat: 41.15, lon: -8.61}, key: "ed25519:Xpz4IUdvR+VDwaFzBa0oWrdNTN5XXVu2Pe4uNxLVK8I="}
drops:
  - {id: winter-26, date: 2026-12-18, skus: [RUG-1]}
`

// TestParseHubDefaults checks what a hub's file may leave out: the name, the key, the timings,
// a site's name, the tokens.
func TestParseHubDefaults(t *testing.T) {
	h, err := configs.ParseHub("", []byte(minimalHub))
	if err != nil {
		t.Fatal(err)
	}
	if h.File != "<config>" || h.Name != configs.HubID || h.Key != "" || h.Tokens != nil {
		t.Errorf("file %q, name %q, key %q, tokens %v", h.File, h.Name, h.Key, h.Tokens)
	}
	if got, want := h.KeyFile("/var/lib/hub"), filepath.Join("/var/lib/hub", configs.DefaultKeyFile); got != want {
		t.Errorf("KeyFile = %q, want %q", got, want)
	}
	if h.AckTimeout != configs.DefaultAckTimeout || h.PromiseTimeout != configs.DefaultPromiseTimeout || h.OnlineWithin != configs.DefaultOnlineWithin {
		t.Errorf("timings %s, %s, %s", h.AckTimeout, h.PromiseTimeout, h.OnlineWithin)
	}
	if s := h.Sites[0]; s.Name != "porto" || s.Line != 4 {
		t.Errorf("site %+v, want named by its id, at line 4", s)
	}
	if b := h.Broker; b.URL != "tcp://127.0.0.1:1883" || b.Username != "" || b.ClientID != "" || b.Line != 2 {
		t.Errorf("broker %+v", b)
	}
	if err := checkHubInvariants(h); err != nil {
		t.Error(err)
	}
}

// hubErrorLine is the shape every line of a ParseHub error must have.
var hubErrorLine = regexp.MustCompile(`^hub\.yaml:[1-9][0-9]*: \S`)

// FuzzParseHub checks that ParseHub never panics, that every error line points at the file and
// a line, and that a hub's file it accepts keeps the model's invariants.
func FuzzParseHub(f *testing.F) {
	seeds, err := filepath.Glob("testdata/hub/*.yaml")
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range append(seeds, "examples/hub.yaml") {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(minimalHub))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := configs.ParseHub("hub.yaml", data)
		if err != nil {
			if h != nil {
				t.Error("ParseHub returned a hub with its error")
			}
			var errs configs.Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("error %T is not a non-empty Errors: %v", err, err)
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				if !hubErrorLine.MatchString(line) {
					t.Errorf("malformed error line %q", line)
				}
			}
			return
		}
		if h == nil {
			t.Fatal("ParseHub returned neither a hub nor an error")
		}
		if err := checkHubInvariants(h); err != nil {
			t.Errorf("accepted a hub that breaks an invariant: %v\ninput:\n%s", err, data)
		}
	})
}
