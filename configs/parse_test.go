package configs_test

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/configs"
	"github.com/cellforge/cellforge/configs/internal/yamlfile"
	"github.com/cellforge/cellforge/configs/profiles"
)

// builtin returns the catalogue of the built-in device profiles, which the machines of the test
// files name.
func builtin(t testing.TB) configs.Profiles {
	t.Helper()
	c, err := profiles.Catalogue()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// minimal is the smallest configuration Parse accepts.
const minimal = `site: tiny
cells:
  - id: weave-1
    capabilities: [weave]
products:
  - sku: RUG-1
    routing:
      - capability: weave
        unit_time: 1h
`

// TestParseBad parses every testdata/<name>.bad.yaml and compares the error lines with the file's
// leading "# want: " comments, exactly and in order.
func TestParseBad(t *testing.T) {
	tests := []struct {
		name string
	}{
		// Strict decoding.
		{name: "unknown-top-level-key"},
		{name: "unknown-top-level-key-near-miss"},
		{name: "unknown-cell-key"},
		{name: "cell-auto-start-wrong-type"},
		{name: "cell-auto-start-without-machine"},
		{name: "unknown-device-key"},
		{name: "unknown-step-key"},
		{name: "unknown-changeover-key"},
		{name: "unknown-person-key"},
		{name: "wrong-type-cells-string"},
		{name: "wrong-type-capabilities"},
		{name: "wrong-type-cell-item"},
		{name: "wrong-type-site-list"},
		{name: "wrong-type-windows-list"},
		{name: "empty-list-item"},
		{name: "custom-tag"},
		{name: "top-level-list"},
		{name: "duplicate-yaml-key"},
		{name: "yaml-alias"},
		{name: "second-document"},
		{name: "empty-file"},
		// YAML syntax.
		{name: "syntax-error"},
		{name: "syntax-error-tab"},
		{name: "syntax-error-unclosed-quote"},
		{name: "syntax-error-indentation"},
		// Required fields and ids.
		{name: "missing-site"},
		{name: "empty-site"},
		{name: "empty-cells"},
		{name: "empty-products"},
		{name: "empty-routing"},
		{name: "cell-without-capabilities"},
		{name: "device-without-kind"},
		{name: "bad-id-characters"},
		{name: "bad-sku-characters"},
		{name: "bad-capability"},
		{name: "unknown-device-kind"},
		{name: "name-with-line-break"},
		// Uniqueness.
		{name: "duplicate-cell-id"},
		{name: "duplicate-device-id"},
		{name: "duplicate-capability"},
		{name: "duplicate-sku"},
		{name: "sku-case-clash"},
		{name: "duplicate-drop-id"},
		{name: "duplicate-person-id"},
		{name: "duplicate-token-name"},
		{name: "duplicate-token-secret"},
		// Routings.
		{name: "routing-capability-not-offered"},
		{name: "bad-duration"},
		{name: "duration-without-unit"},
		{name: "zero-unit-time"},
		{name: "missing-unit-time"},
		{name: "unit-time-too-long"},
		{name: "negative-setup"},
		{name: "changeover-missing-value"},
		{name: "bad-changeover-attribute"},
		{name: "changeover-attribute-mismatch"},
		{name: "step-bad-instructions"},
		// Drops.
		{name: "bad-drop-date"},
		{name: "drop-date-out-of-range"},
		{name: "drop-without-date"},
		{name: "drop-without-windows"},
		{name: "negative-window"},
		{name: "window-unknown-sku"},
		{name: "window-not-integer"},
		{name: "window-too-large"},
		// People.
		{name: "bad-role"},
		{name: "person-without-role"},
		{name: "operator-without-pin"},
		{name: "operator-with-password"},
		{name: "manager-without-password"},
		{name: "pin-not-digits"},
		{name: "pin-too-short"},
		{name: "pin-and-pin-hash"},
		{name: "bad-bcrypt-hash"},
		{name: "password-too-short"},
		// Tokens.
		{name: "token-too-short"},
		{name: "token-with-space"},
		{name: "token-and-sha256"},
		{name: "token-without-secret"},
		{name: "token-bad-role"},
		{name: "bad-sha256"},
		// Devices, serial lines and printing.
		{name: "device-without-connection"},
		{name: "device-address-and-serial-line"},
		{name: "device-bad-address"},
		{name: "device-unknown-serial-line"},
		{name: "device-unit-id-out-of-range"},
		{name: "device-duplicate-unit-id"},
		{name: "device-unknown-profile"},
		{name: "device-profile-wrong-kind"},
		{name: "device-timeout-out-of-range"},
		{name: "printer-with-unit-id"},
		{name: "printer-sharing-serial-line"},
		{name: "serial-line-bad-settings"},
		{name: "serial-line-without-port"},
		{name: "printing-wrong-devices"},
		{name: "step-missing-machine-param"},
		{name: "step-bad-params"},
		{name: "simulate-not-boolean"},
		{name: "cell-with-two-machines"},
		// Lots and materials.
		{name: "step-material-twice"},
		{name: "step-bad-material"},
		{name: "step-materials-empty"},
		{name: "step-makes-lot-not-boolean"},
		{name: "lot-pattern-unknown-token"},
		{name: "lot-pattern-without-seq"},
		{name: "lot-pattern-bad-character"},
		{name: "lot-pattern-too-long"},
		{name: "lot-pattern-seq-width"},
		// Working hours.
		{name: "hours-bad-timezone"},
		{name: "hours-bad-days"},
		{name: "hours-close-before-open"},
		{name: "hours-bad-time"},
		// Telemetry.
		{name: "telemetry-bad-mqtt"},
		{name: "telemetry-bad-influxdb-buffer"},
		{name: "telemetry-not-a-mapping"},
		{name: "telemetry-unknown-keys"},
		{name: "telemetry-wrong-types"},
		{name: "telemetry-mqtt-limits"},
		{name: "telemetry-sparkplug"},
		{name: "telemetry-sparkplug-shared"},
		{name: "telemetry-mqtt-empty-values"},
		{name: "telemetry-influxdb-url-buffer-age"},
		{name: "telemetry-influxdb-url-without-host"},
		// A part written on one line: what failed to decode, then what breaks a rule, part by part.
		{name: "telemetry-flow-style"},
		// Reasons.
		{name: "reasons-not-mapping"},
		{name: "reasons-unknown-key"},
		{name: "reasons-wrong-type"},
		{name: "reasons-empty-list"},
		{name: "reasons-bad-code"},
		{name: "reasons-duplicate-code"},
		{name: "reasons-missing-label"},
		// Hosts.
		{name: "hosts-empty-list"},
		{name: "hosts-not-list"},
		{name: "hosts-wrong-type-item"},
		{name: "hosts-with-port"},
		{name: "hosts-url"},
		{name: "hosts-wildcard"},
		{name: "hosts-bad-characters"},
		{name: "hosts-international"},
		{name: "hosts-unspecified-address"},
		{name: "hosts-duplicate"},
		{name: "hosts-too-many"},
		{name: "hosts-name-too-long"},
		// The tablet section.
		{name: "tablet-not-a-mapping"},
		{name: "tablet-unknown-key"},
		{name: "tablet-idle-sign-out-not-a-duration"},
		{name: "tablet-idle-sign-out-out-of-range"},
		{name: "tablet-language-not-a-tag"},
		// The store section.
		{name: "store-not-a-mapping"},
		{name: "store-unknown-key"},
		{name: "store-postgres-password"},
		{name: "store-postgres-not-postgres"},
		{name: "store-postgres-no-database"},
		{name: "store-lease-out-of-range"},
		// The provenance section.
		{name: "provenance-not-a-mapping"},
		{name: "provenance-unknown-key"},
		{name: "provenance-signing-key-empty"},
		{name: "provenance-signing-key-not-a-string"},
		{name: "provenance-serial-not-unique"},
		{name: "provenance-serial-unknown-token"},
		{name: "provenance-serial-bad-character"},
		{name: "provenance-serial-seq-width"},
		{name: "provenance-serial-tokens-touch"},
		{name: "provenance-serial-unclosed"},
		{name: "provenance-serial-empty"},
		// The aftercare section.
		{name: "aftercare-not-a-mapping"},
		{name: "aftercare-unknown-keys"},
		{name: "aftercare-required"},
		{name: "aftercare-empty-lists"},
		{name: "aftercare-ids"},
		{name: "aftercare-duplicate-ids"},
		{name: "aftercare-reserved-diagnosis"},
		{name: "aftercare-money"},
		{name: "aftercare-settings"},
		{name: "aftercare-slip-printer-unknown"},
		{name: "aftercare-kind-skus"},
		{name: "aftercare-service-kinds"},
		{name: "aftercare-routing"},
		{name: "aftercare-routing-machine"},
		{name: "aftercare-care-plans"},
		{name: "aftercare-checklist"},
		{name: "aftercare-diagnosis-checks"},
		// Currency, prices, rates and material costs.
		{name: "currency-invalid"},
		{name: "currency-aftercare-differs"},
		{name: "economics-money"},
		// Quality checklists.
		{name: "checks-items"},
		{name: "checks-limits"},
		{name: "checks-too-many"},
		// The stops section.
		{name: "stops-not-a-mapping"},
		{name: "stops-unknown-keys"},
		{name: "stops-ranges"},
		{name: "stops-ranges-2"},
		{name: "stops-reasons"},
		{name: "stops-reasons-default-branch"},
		{name: "stops-reasons-empty"},
		{name: "stops-too-many-reasons"},
		{name: "stops-references"},
		{name: "stops-default-reasons-missing"},
		{name: "stops-mappings-wrong-type"},
		{name: "stops-shifts"},
		{name: "stops-shifts-empty"},
		{name: "stops-too-many-shifts"},
		// A maker's public name.
		{name: "public-name-too-long"},
		{name: "public-name-control-characters"},
		{name: "public-name-blank"},
		{name: "public-name-not-text"},
		// The network section.
		{name: "network-not-a-mapping"},
		{name: "network-unknown-key"},
		{name: "network-broker-missing"},
		{name: "network-broker-password"},
		{name: "network-broker-url"},
		{name: "network-broker-cert-without-key"},
		{name: "network-hub-key-missing"},
		{name: "network-hub-key-length"},
		{name: "network-hub-key-base64"},
		{name: "network-hub-key-prefix"},
		{name: "network-site-hub"},
		{name: "network-default-site-hub"},
		{name: "network-site-invalid"},
		{name: "network-key-empty"},
		// All errors are reported, in file order.
		{name: "many-errors"},
	}
	files, err := filepath.Glob("testdata/*.bad.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".bad.yaml")
		if !slices.ContainsFunc(tests, func(tc struct{ name string }) bool { return tc.name == name }) {
			t.Errorf("%s has no test case", file)
		}
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkBad(t, "testdata/"+tc.name+".bad.yaml", func(file string, data []byte) (any, error) {
				f, err := configs.Parse(file, data, builtin(t))
				if f == nil {
					return nil, err
				}
				return f, err
			})
		})
	}
}

// TestParseProfileBad is TestParseBad for device profiles, in testdata/profiles.
func TestParseProfileBad(t *testing.T) {
	files, err := filepath.Glob("testdata/profiles/*.bad.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no testdata/profiles/*.bad.yaml")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			checkBad(t, file, func(file string, data []byte) (any, error) {
				p, err := profiles.Parse(file, data)
				if p == nil {
					return nil, err
				}
				return p, err
			})
		})
	}
}

// checkBad parses file and compares the error lines with its leading "# want: " comments,
// exactly and in order.
func checkBad(t *testing.T, file string, parse func(file string, data []byte) (any, error)) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for line := range strings.Lines(string(data)) {
		if w, ok := strings.CutPrefix(strings.TrimRight(line, "\n"), "# want: "); ok {
			want = append(want, w)
		}
	}
	if len(want) == 0 {
		t.Fatalf("%s has no # want: lines", file)
	}
	v, err := parse(file, data)
	if err == nil {
		t.Fatalf("%s was accepted, want:\n%s", file, strings.Join(want, "\n"))
	}
	if v != nil {
		t.Errorf("a result was returned with the error")
	}
	if got := strings.Split(err.Error(), "\n"); !slices.Equal(got, want) {
		t.Errorf("errors:\n%s\nwant:\n%s", err, strings.Join(want, "\n"))
	}
	var errs configs.Errors
	if !errors.As(err, &errs) || len(errs) != len(want) {
		t.Fatalf("errors.As(%T, *Errors) = %d errors, want %d", err, len(errs), len(want))
	}
	for _, e := range errs {
		if e.File != file || e.Line < 1 || e.Reason == "" {
			t.Errorf("malformed error %#v", e)
		}
	}
}

func TestParseGood(t *testing.T) {
	tests := []struct {
		name  string
		input string
		check func(t *testing.T, f *configs.Factory)
	}{
		{
			name: "a public name is kept, and none is the default",
			input: minimal + `people:
  - id: amira
    role: operator
    pin: "4821"
    public_name: "Amira H., née Haddad"
  - id: jonas
    role: operator
    pin: "7304"
`,
			check: func(t *testing.T, f *configs.Factory) {
				if len(f.People) != 2 || f.People[0].PublicName != "Amira H., née Haddad" || f.People[1].PublicName != "" {
					t.Errorf("people = %+v, want amira's public name kept and none for jonas", f.People)
				}
			},
		},
		{
			name:  "minimal with defaults",
			input: minimal,
			check: func(t *testing.T, f *configs.Factory) {
				if f.File != "good.yaml" || f.Site != "tiny" || f.Name != "tiny" {
					t.Errorf("factory = %q %q %q, want file good.yaml, site and name tiny", f.File, f.Site, f.Name)
				}
				if len(f.Cells) != 1 || f.Cells[0].Name != "weave-1" || f.Cells[0].Line != 3 {
					t.Errorf("cells = %+v, want weave-1 named after its id at line 3", f.Cells)
				}
				p := f.Products[0]
				if p.Name != "RUG-1" || p.Line != 6 {
					t.Errorf("product = %+v, want RUG-1 named after its sku at line 6", p)
				}
				want := configs.Step{Name: "weave", Capability: "weave", UnitTime: time.Hour, Setup: 0, Line: 8}
				if len(p.Routing) != 1 || !reflect.DeepEqual(p.Routing[0], want) {
					t.Errorf("routing = %+v, want %+v", p.Routing, want)
				}
				if f.HasDemoCredentials() {
					t.Error("HasDemoCredentials() = true without credentials")
				}
				if !reflect.DeepEqual(f.Reasons, configs.DefaultReasons()) {
					t.Errorf("reasons = %+v, want the defaults", f.Reasons)
				}
				if f.Hosts != nil {
					t.Errorf("hosts = %q, want none", f.Hosts)
				}
				if f.Tablet.IdleSignOut != configs.DefaultIdleSignOut {
					t.Errorf("tablet idle sign-out = %s, want the default %s", f.Tablet.IdleSignOut, configs.DefaultIdleSignOut)
				}
				if f.Store != configs.DefaultStore() || f.Store.Postgres != "" {
					t.Errorf("store = %+v, want SQLite with the default lease", f.Store)
				}
			},
		},
		{
			name:  "the book on PostgreSQL",
			input: minimal + "store:\n  postgres: postgres://cellforge@db.studio.lan:5432/cellforge?sslmode=verify-full\n  lease: 8s\n",
			check: func(t *testing.T, f *configs.Factory) {
				want := configs.Store{Postgres: "postgres://cellforge@db.studio.lan:5432/cellforge?sslmode=verify-full", Lease: 8 * time.Second, Line: 10}
				if f.Store != want {
					t.Errorf("store = %+v, want %+v", f.Store, want)
				}
			},
		},
		{
			name:  "a tablet idle sign-out of its own",
			input: minimal + "tablet:\n  idle_sign_out: 90s\n",
			check: func(t *testing.T, f *configs.Factory) {
				if f.Tablet.IdleSignOut != 90*time.Second || f.Tablet.Line != 10 {
					t.Errorf("tablet = %+v, want idle sign-out 1m30s at line 10", f.Tablet)
				}
			},
		},
		{
			name:  "the studio's language",
			input: minimal + "tablet:\n  language: pt-BR\n",
			check: func(t *testing.T, f *configs.Factory) {
				if f.Tablet.Language != "pt-BR" || f.Tablet.IdleSignOut != configs.DefaultIdleSignOut {
					t.Errorf("tablet = %+v, want language pt-BR and the default idle sign-out", f.Tablet)
				}
			},
		},
		{
			name: "hosts in their canonical form",
			input: minimal + `hosts:
  - CellForge.Local
  - floor_tablet.studio.lan
  - 192.168.1.20
  - FD00:0:0::20
  - "[fe80::1]"
  - xn--atelier-caf-ceb.lan
`,
			check: func(t *testing.T, f *configs.Factory) {
				want := []string{"cellforge.local", "floor_tablet.studio.lan", "192.168.1.20", "fd00::20", "fe80::1", "xn--atelier-caf-ceb.lan"}
				if !slices.Equal(f.Hosts, want) {
					t.Errorf("hosts = %q, want %q", f.Hosts, want)
				}
			},
		},
		{
			name: "reasons and instructions",
			input: minimal + `        instructions: |
          Check the warp tension before starting.
          Log the loom's counter.
reasons:
  pause:
    - {code: break, label: Tea break}
    - {code: yarn-out, label: Out of yarn}
  fault:
    - {code: jam, label: Jam}
`,
			check: func(t *testing.T, f *configs.Factory) {
				if got, want := f.Products[0].Routing[0].Instructions, "Check the warp tension before starting.\nLog the loom's counter.\n"; got != want {
					t.Errorf("instructions = %q, want %q", got, want)
				}
				want := configs.Reasons{
					Pause: []configs.Reason{{"break", "Tea break"}, {"yarn-out", "Out of yarn"}},
					Scrap: configs.DefaultReasons().Scrap, // left out: the default list
					Fault: []configs.Reason{{"jam", "Jam"}},
				}
				if !reflect.DeepEqual(f.Reasons, want) {
					t.Errorf("reasons = %+v, want %+v", f.Reasons, want)
				}
				if r, ok := f.Reasons.Find(f.Reasons.Pause, "yarn-out"); !ok || r.Label != "Out of yarn" {
					t.Errorf("Find(pause, yarn-out) = %+v, %v", r, ok)
				}
				if _, ok := f.Reasons.Find(f.Reasons.Fault, "leak"); ok {
					t.Error("Find(fault, leak) found a default the file replaced")
				}
				if got := configs.Codes(f.Reasons.Pause); !slices.Equal(got, []string{"break", "yarn-out"}) {
					t.Errorf("Codes(pause) = %v", got)
				}
			},
		},
		{
			name: "date-only drop is midnight UTC",
			input: minimal + `drops:
  - id: spring-27
    date: 2027-03-01
    windows: {RUG-1: 120}
`,
			check: func(t *testing.T, f *configs.Factory) {
				d, ok := f.Drop("spring-27")
				if !ok {
					t.Fatal("no drop spring-27")
				}
				if want := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC); !d.Date.Equal(want) || d.Date.Location() != time.UTC {
					t.Errorf("date = %v, want %v", d.Date, want)
				}
				if d.Name != "spring-27" || d.Windows["RUG-1"] != 120 || len(d.Windows) != 1 || d.Line != 11 {
					t.Errorf("drop = %+v", d)
				}
			},
		},
		{
			name: "RFC 3339 drop date, quoted or not",
			input: minimal + `drops:
  - id: summer-27
    date: 2027-06-14T09:00:00+01:00
    windows: {RUG-1: 0}
  - id: autumn-27
    date: "2027-09-20T18:30:00Z"
    windows: {RUG-1: 5}
`,
			check: func(t *testing.T, f *configs.Factory) {
				summer, _ := f.Drop("summer-27")
				if want := time.Date(2027, 6, 14, 8, 0, 0, 0, time.UTC); !summer.Date.Equal(want) || summer.Date.Location() != time.UTC {
					t.Errorf("summer date = %v, want %v", summer.Date, want)
				}
				if n, ok := summer.Windows["RUG-1"]; !ok || n != 0 {
					t.Errorf("summer window = %d, %v; want a window of 0", n, ok)
				}
				autumn, _ := f.Drop("autumn-27")
				if want := time.Date(2027, 9, 20, 18, 30, 0, 0, time.UTC); !autumn.Date.Equal(want) {
					t.Errorf("autumn date = %v, want %v", autumn.Date, want)
				}
			},
		},
		{
			name: "step fields and changeover",
			input: `site: tiny
name: Tiny Studio
cells:
  - {id: dye-1, name: Vat room, capabilities: [dye, wash], devices: [{id: vat-a, kind: dye-station, address: "10.0.0.7:502"}]}
products:
  - sku: RUG-1
    name: Small rug
    routing:
      - capability: dye
        name: Dye weft
        unit_time: 1h30m
        setup: 45m
        changeover: {attribute: colour, value: indigo}
        params: {recipe: 12, temperature: 85.5}
      - {capability: wash, unit_time: 90s, params: {recipe: 0, temperature: 40}}
`,
			check: func(t *testing.T, f *configs.Factory) {
				if f.Name != "Tiny Studio" {
					t.Errorf("name = %q", f.Name)
				}
				c, _ := f.Cell("dye-1")
				if c.Name != "Vat room" || !slices.Equal(c.Capabilities, []string{"dye", "wash"}) ||
					len(c.Devices) != 1 {
					t.Errorf("cell = %+v", c)
				}
				// Defaults: unit 1, the profile named after the kind, the TCP timeout.
				if d := c.Devices[0]; d.ID != "vat-a" || d.Kind != "dye-station" || d.Address != "10.0.0.7:502" ||
					d.UnitID != 1 || d.Profile != "dye-station" || d.Timeout != 500*time.Millisecond || d.Line != 4 {
					t.Errorf("device = %+v", d)
				}
				p, _ := f.Product("RUG-1")
				dye, wash := p.Routing[0], p.Routing[1]
				if dye.Name != "Dye weft" || dye.UnitTime != 90*time.Minute || dye.Setup != 45*time.Minute ||
					dye.Changeover == nil || *dye.Changeover != (configs.Changeover{Attribute: "colour", Value: "indigo"}) {
					t.Errorf("dye step = %+v", dye)
				}
				if !maps.Equal(dye.Params, map[string]float64{"recipe": 12, "temperature": 85.5}) {
					t.Errorf("dye step params = %v", dye.Params)
				}
				if wash.Name != "wash" || wash.UnitTime != 90*time.Second || wash.Changeover != nil || wash.Line != 15 {
					t.Errorf("wash step = %+v", wash)
				}
			},
		},
		{
			name: "hashed credentials",
			input: minimal + `people:
  - id: amira
    role: operator
    pin_hash: "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"
  - id: sam
    name: Sam Okafor
    role: admin
    password_hash: "$2y$12$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"
    pin_hash: "$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"
tokens:
  - name: erp-bridge
    role: planner
    sha256: 9b1d6a0f0e8c4c8a3d3d4d5f4e0b1c2a3b4c5d6e7f8091a2b3c4d5e6f7081920
`,
			check: func(t *testing.T, f *configs.Factory) {
				if f.HasDemoCredentials() {
					t.Error("HasDemoCredentials() = true with hashes only")
				}
				if len(f.People) != 2 || f.People[0].Name != "amira" || f.People[1].Name != "Sam Okafor" ||
					f.People[1].PasswordHash == "" || f.People[1].PINHash == "" {
					t.Errorf("people = %+v", f.People)
				}
				if len(f.Tokens) != 1 || f.Tokens[0].Token != "" || f.Tokens[0].Line != 20 {
					t.Errorf("tokens = %+v", f.Tokens)
				}
			},
		},
		{
			name: "clear-text credentials keep leading zeros",
			input: minimal + `people:
  - {id: amira, role: operator, pin: 0042}
  - {id: kofi, role: planner, password: correct-horse, pin: "00421"}
tokens:
  - {name: tablet, role: operator, token: demo-operator-token-0001}
`,
			check: func(t *testing.T, f *configs.Factory) {
				if !f.HasDemoCredentials() {
					t.Error("HasDemoCredentials() = false with clear-text credentials")
				}
				if f.People[0].PIN != "0042" || f.People[1].PIN != "00421" || f.People[1].Password != "correct-horse" {
					t.Errorf("people = %+v", f.People)
				}
				if f.Tokens[0].Token != "demo-operator-token-0001" {
					t.Errorf("tokens = %+v", f.Tokens)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := configs.Parse("good.yaml", []byte(tc.input), builtin(t))
			if err != nil {
				t.Fatalf("Parse:\n%v", err)
			}
			if err := checkInvariants(f); err != nil {
				t.Errorf("invariants: %v", err)
			}
			tc.check(t, f)
		})
	}
}

func TestParseErrorsAs(t *testing.T) {
	_, err := configs.Parse("x.yaml", []byte("site: Tiny\n"), builtin(t))
	var errs configs.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("errors.As(%T, *Errors) = false", err)
	}
	var first configs.Error
	if !errors.As(err, &first) {
		t.Fatalf("errors.As(%T, *Error) = false", err)
	}
	want := configs.Error{File: "x.yaml", Line: 1, Field: "site", Reason: `invalid id "Tiny" (` + yamlfile.IDRule + `)`}
	if first != want || errs[0] != want {
		t.Errorf("first error = %#v, want %#v", first, want)
	}
	if len(errs) != 3 {
		t.Errorf("got %d errors, want 3 (site, cells, products):\n%v", len(errs), err)
	}
}

func TestErrorMessage(t *testing.T) {
	tests := []struct {
		name string
		err  configs.Error
		want string
	}{
		{
			name: "object and field",
			err:  configs.Error{File: "configs/demo.yaml", Line: 42, Object: `cell "dye-1": device "vat-a"`, Field: "kind", Reason: `unknown kind "vat"`},
			want: `configs/demo.yaml:42: cell "dye-1": device "vat-a": kind: unknown kind "vat"`,
		},
		{
			name: "object only",
			err:  configs.Error{File: "configs/demo.yaml", Line: 42, Object: `cell "dye-1": device "vat-a"`, Reason: `unknown field "unit"`},
			want: `configs/demo.yaml:42: cell "dye-1": device "vat-a": unknown field "unit"`,
		},
		{
			name: "top-level field",
			err:  configs.Error{File: "demo.yaml", Line: 3, Field: "site", Reason: "must not be empty"},
			want: "demo.yaml:3: site: must not be empty",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.err.Error(); got != tc.want {
				t.Errorf("Error() = %q, want %q", got, tc.want)
			}
		})
	}
	if got, want := (configs.Errors{tests[0].err, tests[2].err}).Error(), tests[0].want+"\n"+tests[2].want; got != want {
		t.Errorf("Errors.Error() = %q, want %q", got, want)
	}
}

// errorLine is the shape every line of a Parse error must have.
var errorLine = regexp.MustCompile(`^fuzz\.yaml:[1-9][0-9]*: \S`)

// FuzzParse checks that Parse never panics, that every error line points at the file and a
// line, and that a configuration it accepts keeps the model's invariants.
func FuzzParse(f *testing.F) {
	seeds, err := filepath.Glob("testdata/*.yaml")
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range append(seeds, "demo.yaml", "examples/site-porto.yaml") {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(minimal))
	f.Fuzz(func(t *testing.T, data []byte) {
		factory, err := configs.Parse("fuzz.yaml", data, builtin(t))
		if err != nil {
			if factory != nil {
				t.Error("Parse returned a factory with its error")
			}
			var errs configs.Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("error %T is not a non-empty Errors: %v", err, err)
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				if !errorLine.MatchString(line) {
					t.Errorf("malformed error line %q", line)
				}
			}
			return
		}
		if factory == nil {
			t.Fatal("Parse returned neither a factory nor an error")
		}
		if err := checkInvariants(factory); err != nil {
			t.Errorf("accepted a factory that breaks an invariant: %v\ninput:\n%s", err, data)
		}
	})
}
