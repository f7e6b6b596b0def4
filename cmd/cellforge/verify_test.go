package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/api"
	"github.com/cellforge/cellforge/book/provenance"
)

// daemonKeys reads the public keys a daemon publishes, without signing in.
func daemonKeys(t *testing.T, d *daemon) (provenance.PublicKeySet, http.Header) {
	t.Helper()
	resp, err := http.Get(d.url + api.KeysPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s without signing in = %s %s", api.KeysPath, resp.Status, body)
	}
	set, err := provenance.ParsePublicKeySet(body)
	if err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	return set, resp.Header
}

// certificate issues a certificate of three revisions with ring and returns its file's bytes.
func certificate(t *testing.T, ring *provenance.KeyRing) []byte {
	t.Helper()
	var c provenance.Chain
	rev := provenance.Revision{
		Serial:  "LL-0042",
		Studio:  provenance.Studio{ID: "loom-lantern", Name: "Loom & Lantern"},
		Product: provenance.Product{SKU: "SCARF-WOOL", Name: "Wool scarf"},
		Drop:    "spring-27",
		Made:    provenance.Made{First: "2027-03-01", Last: "2027-03-02"},
	}
	at := time.Date(2027, 3, 2, 10, 0, 0, 0, time.UTC)
	for i := range 3 {
		rev.Notes = append(rev.Notes, provenance.Note{Text: "checked again", Author: "Amira", At: at.Add(time.Duration(i) * time.Hour)})
		if err := c.Issue(rev, ring, at.Add(time.Duration(i)*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	data, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestDaemonKeysAndVerify runs a daemon on a data directory: it makes the studio's signing key
// at its first start, publishes its public key to anyone and keeps it across a restart; a
// certificate that key signed verifies with cellforge verify, from a file with the daemon's keys
// and from a URL whose origin publishes them; changed or cut, it does not.
func TestDaemonKeysAndVerify(t *testing.T) {
	data := t.TempDir()
	d := startDaemon(t, "../../configs/demo.yaml", data)
	first, header := daemonKeys(t, d)
	if got := header.Get("Cache-Control"); !strings.Contains(got, "max-age=") {
		t.Errorf("Cache-Control = %q, want a max-age", got)
	}
	ring, err := provenance.OpenDir(filepath.Join(data, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Keys) != 1 || first.Keys[0].ID != ring.KeyID() {
		t.Fatalf("the daemon publishes %+v, want the key of its data directory %s", first.Keys, ring.KeyID())
	}
	if fi, err := os.Stat(filepath.Join(data, "keys", provenance.SigningKeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("signing key file: %v %v, want mode 0600", fi, err)
	}
	d.kill()
	d = startDaemon(t, "../../configs/demo.yaml", data)
	if again, _ := daemonKeys(t, d); len(again.Keys) != 1 || again.Keys[0].ID != first.Keys[0].ID {
		t.Fatalf("after a restart the daemon publishes %+v, want %s as before", again.Keys, first.Keys[0].ID)
	}

	cert := certificate(t, ring)
	changed := bytes.Replace(cert, []byte("Wool scarf"), []byte("Wool scarF"), 1)
	if bytes.Equal(changed, cert) {
		t.Fatal("the certificate does not hold the product's name")
	}
	cut := dropRevision(t, cert, ring, 1)

	// The certificates are also served beside the daemon's keys, on one origin: the keys are
	// the daemon's own answer.
	daemonURL, err := url.Parse(d.url)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(api.KeysPath, httputil.NewSingleHostReverseProxy(daemonURL))
	for name, body := range map[string][]byte{"good": cert, "changed": changed, "cut": cut} {
		mux.HandleFunc("/u/"+name+".json", func(w http.ResponseWriter, _ *http.Request) { w.Write(body) })
	}
	mux.HandleFunc("/u/huge.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Write(bytes.Repeat([]byte(" "), provenance.MaxFileBytes+1))
	})
	origin := httptest.NewServer(mux)
	t.Cleanup(origin.Close)

	dir := t.TempDir()
	files := map[string]string{}
	for name, body := range map[string][]byte{"good": cert, "changed": changed, "cut": cut} {
		files[name] = filepath.Join(dir, name+".json")
		if err := os.WriteFile(files[name], body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	keysURL := d.url + api.KeysPath
	verified := "verifies: serial LL-0042, 3 revisions, signed by " + ring.KeyID()
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     string
	}{
		{name: "a file with the daemon's keys", args: []string{files["good"], "--keys", keysURL}, wantCode: 0, want: verified},
		{name: "the keys first", args: []string{"--keys", keysURL, files["good"]}, wantCode: 0, want: verified},
		{name: "a URL with its origin's keys", args: []string{origin.URL + "/u/good.json"}, wantCode: 0, want: verified},
		{name: "a one-byte change", args: []string{files["changed"], "--keys", keysURL}, wantCode: 1,
			want: "revision 1: signature does not verify with key " + ring.KeyID() + ": the revision was changed after it was signed"},
		{name: "a one-byte change at a URL", args: []string{origin.URL + "/u/changed.json"}, wantCode: 1,
			want: "signature does not verify with key " + ring.KeyID()},
		{name: "a removed revision", args: []string{files["cut"], "--keys", keysURL}, wantCode: 1,
			want: "revision 2 is missing"},
		{name: "a removed revision at a URL", args: []string{origin.URL + "/u/cut.json", "--keys", keysURL}, wantCode: 1,
			want: "revision 2 is missing"},
		{name: "a certificate that is not there", args: []string{origin.URL + "/u/none.json"}, wantCode: 1, want: "404 Not Found"},
		{name: "a download larger than a certificate may be", args: []string{origin.URL + "/u/huge.json"}, wantCode: 1,
			want: "holds more than the 4194304 bytes a certificate may have"},
		{name: "keys that are not keys", args: []string{files["good"], "--keys", files["good"]}, wantCode: 1, want: "public keys"},
		{name: "a file without keys", args: []string{files["good"]}, wantCode: 2, want: "needs --keys"},
		{name: "no certificate", args: []string{"--keys", keysURL}, wantCode: 2, want: "name the certificate"},
		{name: "two certificates", args: []string{files["good"], files["cut"], "--keys", keysURL}, wantCode: 2, want: "one certificate at a time"},
		{name: "an unknown flag", args: []string{files["good"], "--key", keysURL}, wantCode: 2, want: "flag provided but not defined"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), append([]string{"verify"}, tc.args...), nil, &stdout, &stderr)
			out := stdout.String() + stderr.String()
			if code != tc.wantCode || !strings.Contains(out, tc.want) {
				t.Fatalf("exit %d, output %q; want exit %d and %q", code, out, tc.wantCode, tc.want)
			}
			if code == 0 && strings.Count(stdout.String(), "\n") != 1 {
				t.Errorf("stdout %q, want one line", stdout.String())
			}
		})
	}
}

// dropRevision returns the certificate without its revision i (0-based), written again as a
// certificate file.
func dropRevision(t *testing.T, cert []byte, ring *provenance.KeyRing, i int) []byte {
	t.Helper()
	c, err := provenance.Verify(cert, ring.PublicKeys())
	if err != nil {
		t.Fatal(err)
	}
	c.Revisions = append(c.Revisions[:i:i], c.Revisions[i+1:]...)
	data, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestServeKeyFile serves with the signing key the factory config names: the daemon publishes
// that key, and refuses to start, naming the file, when the key cannot be read or is no Ed25519
// PKCS#8 PEM key.
func TestServeKeyFile(t *testing.T) {
	demo, err := os.ReadFile("../../configs/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	config := func(t *testing.T, key string) string {
		path := filepath.Join(t.TempDir(), "factory.yaml")
		if err := os.WriteFile(path, append(demo, []byte("\nprovenance:\n  signing_key: "+key+"\n")...), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(ecKey)
	if err != nil {
		t.Fatal(err)
	}
	bad := map[string][]byte{
		"not-pem.pem": []byte("a key\n"),
		"ecdsa.pem":   pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}),
	}
	for name, body := range bad {
		if err := os.WriteFile(filepath.Join(dir, name), body, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	refusals := []struct {
		name, key, want string
	}{
		{name: "a missing key file", key: filepath.Join(dir, "absent.pem"), want: filepath.Join(dir, "absent.pem") + ": no such file"},
		{name: "a file that is no PEM", key: filepath.Join(dir, "not-pem.pem"), want: filepath.Join(dir, "not-pem.pem") + ": no PEM block"},
		{name: "a key that is not Ed25519", key: filepath.Join(dir, "ecdsa.pem"), want: filepath.Join(dir, "ecdsa.pem") + ": the key is a *ecdsa.PrivateKey, not an Ed25519 key"},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			cfg := config(t, tc.key)
			// A daemon that took the key would serve until the context ends, and exit 0.
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			var stdout, stderr bytes.Buffer
			code := run(ctx, []string{"serve", "--config", cfg, "--data", t.TempDir(), "--listen", "127.0.0.1:0"}, nil, &stdout, &stderr)
			// The message points at the signing_key line, the last the test wrote.
			at := fmt.Sprintf("%s:%d: provenance: signing_key: ", cfg, bytes.Count(demo, []byte("\n"))+3)
			if code != 1 || !strings.Contains(stderr.String(), tc.want) || !strings.Contains(stderr.String(), at) {
				t.Fatalf("exit %d, stderr %q; want exit 1, %q and %q", code, stderr.String(), at, tc.want)
			}
		})
	}

	t.Run("a key file relative to the config", func(t *testing.T) {
		ring, err := provenance.OpenDir(filepath.Join(dir, "studio"))
		if err != nil {
			t.Fatal(err)
		}
		cfg := filepath.Join(dir, "factory.yaml")
		if err := os.WriteFile(cfg, append(demo, []byte("\nprovenance:\n  signing_key: studio/"+provenance.SigningKeyFile+"\n")...), 0o644); err != nil {
			t.Fatal(err)
		}
		data := t.TempDir()
		d := startDaemon(t, cfg, data)
		set, _ := daemonKeys(t, d)
		if len(set.Keys) != 1 || set.Keys[0].ID != ring.KeyID() {
			t.Fatalf("the daemon publishes %+v, want the key file's %s", set.Keys, ring.KeyID())
		}
		if _, err := os.Stat(filepath.Join(data, "keys")); !os.IsNotExist(err) {
			t.Errorf("the daemon made a key in its data directory (%v) though the config names one", err)
		}
	})
}

// TestVerifyTellsRepairs: verify prints a line for each repair the newest revision of a
// certificate tells, naming the revision that first told it; a certificate without repairs
// is one line, as before.
func TestVerifyTellsRepairs(t *testing.T) {
	ring, err := provenance.OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	keys, err := ring.PublicKeys().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	keysFile := filepath.Join(dir, "keys.json")
	if err := os.WriteFile(keysFile, keys, 0o644); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2027, 3, 2, 10, 0, 0, 0, time.UTC)
	rev := provenance.Revision{Serial: "LL-0042", Product: provenance.Product{SKU: "SCARF-WOOL", Name: "Wool scarf"},
		Made: provenance.Made{First: "2027-03-01", Last: "2027-03-02"}}
	repairs := []provenance.Repair{
		{Kind: "reweave", Date: "2027-04-01", Text: "Edge rewoven"},
		{Kind: provenance.RepairKind, Date: "2027-06-01", Text: "Hem repair, Deep clean", Services: []string{"Hem repair", "Deep clean"},
			Makers: []string{"Amira", "Cleo"}, Notes: []provenance.Note{{Text: "Moth holes mended", Author: "Amira", At: at}},
			Photos: []provenance.Photo{{SHA256: strings.Repeat("ab", 32), MediaType: "image/jpeg"}, {SHA256: strings.Repeat("cd", 32), MediaType: "image/png"}}},
		{Kind: "re\x1b[2Jpair", Date: "2027-07-01", Services: []string{"Fringe\nrepair", "Dusting"}, Makers: []string{"Ana\r"}},
	}
	tests := []struct {
		name    string
		repairs []int // how many repairs each revision after the first tells
		want    string
	}{
		{"no repair", nil, "verifies: serial LL-0042, 1 revision, signed by " + ring.KeyID() + "\n"},
		{"repairs", []int{1, 1, 2},
			"verifies: serial LL-0042, 4 revisions, signed by " + ring.KeyID() + "\n" +
				"  reweave 2027-04-01, revision 2: Edge rewoven\n" +
				"  repair 2027-06-01, revision 4: Hem repair, Deep clean; by Amira, Cleo; 1 note, 2 photos\n"},
		{"control characters", []int{3},
			"verifies: serial LL-0042, 2 revisions, signed by " + ring.KeyID() + "\n" +
				"  reweave 2027-04-01, revision 2: Edge rewoven\n" +
				"  repair 2027-06-01, revision 2: Hem repair, Deep clean; by Amira, Cleo; 1 note, 2 photos\n" +
				`  "re\x1b[2Jpair" 2027-07-01, revision 2: "Fringe\nrepair", Dusting; by "Ana\r"` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c provenance.Chain
			r := rev
			if err := c.Issue(r, ring, at); err != nil {
				t.Fatal(err)
			}
			for i, n := range tt.repairs {
				r.Repairs = repairs[:n]
				r.Notes = append(slices.Clip(r.Notes), provenance.Note{Text: "checked", At: at}) // a revision even when no repair came
				if err := c.Issue(r, ring, at.Add(time.Duration(i+1)*time.Hour)); err != nil {
					t.Fatal(err)
				}
			}
			data, err := c.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(dir, tt.name+".json")
			if err := os.WriteFile(file, data, 0o644); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			if code := run(context.Background(), []string{"verify", file, "--keys", keysFile}, nil, &stdout, &stderr); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			if got := stdout.String(); got != file+" "+tt.want {
				t.Fatalf("verify printed\n%s\nwant\n%s", got, file+" "+tt.want)
			}
		})
	}
}
