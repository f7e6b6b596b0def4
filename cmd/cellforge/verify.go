package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/cellforge/cellforge/api"
	"github.com/cellforge/cellforge/book/provenance"
)

// fetchTimeout bounds the whole of one download of verify: connecting, the answer and its body.
const fetchTimeout = 30 * time.Second

// verifyCert checks a unit's certificate, from a file or a URL, against the studio's public
// keys, from --keys or, for a certificate fetched from a URL, from the public keys its origin
// publishes.
func verifyCert(ctx context.Context, args []string, e *env) error {
	const synopsis = "verify FILE|URL [--keys FILE|URL]"
	fs := newFlagSet("verify", synopsis, e)
	keys := fs.String("keys", "", "the studio's public keys: a `file` or URL (default for a certificate fetched from a URL: its origin's "+api.KeysPath+")")
	// The flags may come before the certificate or after it.
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var cert string
	if fs.NArg() > 0 {
		cert = fs.Arg(0)
		if err := parseFlags(fs, fs.Args()[1:]); err != nil {
			return err
		}
	}
	usage := func(format string, args ...any) error {
		fmt.Fprintf(e.stderr, "cellforge verify: "+format+"\n", args...)
		fs.Usage()
		return errUsage
	}
	switch {
	case cert == "":
		return usage("name the certificate: a file or an http or https URL")
	case fs.NArg() > 0:
		return usage("one certificate at a time: %q follows %q", fs.Arg(0), cert)
	}
	source := *keys
	if source == "" {
		origin, ok := originOf(cert)
		if !ok {
			return usage("a certificate read from a file needs --keys, the studio's public keys")
		}
		source = origin + api.KeysPath
	}
	client := &http.Client{Timeout: fetchTimeout}
	chain, err := verifyFrom(ctx, client, cert, source)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, summary(cert, chain))
	return nil
}

// verifyFrom reads the certificate at cert and the public key set at keys (files, or http or
// https URLs fetched with client) and verifies the one with the other.
func verifyFrom(ctx context.Context, client *http.Client, cert, keys string) (*provenance.Chain, error) {
	keyData, err := readSource(ctx, client, keys)
	if err != nil {
		return nil, fmt.Errorf("reading the public keys: %w", err)
	}
	set, err := provenance.ParsePublicKeySet(keyData)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", keys, err)
	}
	data, err := readSource(ctx, client, cert)
	if err != nil {
		return nil, fmt.Errorf("reading the certificate: %w", err)
	}
	chain, err := provenance.Verify(data, set)
	if err != nil {
		return nil, fmt.Errorf("%s does not verify: %w", cert, err)
	}
	return chain, nil
}

// summary is what verify prints for a certificate that verifies: a line with its serial, how
// many revisions it has and the keys that signed them, then a line for each repair its newest
// revision tells (see repairLine).
func summary(cert string, c *provenance.Chain) string {
	var ids []string
	seen := map[string]bool{}
	for _, r := range c.Revisions {
		if id := r.Revision.KeyID; !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	n := len(c.Revisions)
	plural := "s"
	if n == 1 {
		plural = ""
	}
	var serial string
	if n > 0 {
		serial = c.Revisions[0].Revision.Serial
	}
	lines := []string{fmt.Sprintf("%s verifies: serial %s, %d revision%s, signed by %s", cert, printable(serial), n, plural, strings.Join(ids, ", "))}
	if n > 0 {
		for _, r := range c.Revisions[n-1].Revision.Repairs {
			lines = append(lines, repairLine(r, firstWith(c, r)))
		}
	}
	return strings.Join(lines, "\n")
}

// repairLine tells a repair on one line: "  repair 2027-02-01, revision 2: Fringe repair, Deep
// clean; by Ana; 1 note, 2 photos", naming the revision that first told it. What the
// certificate says is printed as Go quotes it when it holds a line break or another control
// character, so that a certificate from elsewhere cannot add lines or drive the terminal.
func repairLine(r provenance.Repair, revision int) string {
	what := printable(r.Text)
	if len(r.Services) > 0 {
		what = joinPrintable(r.Services)
	}
	parts := []string{what}
	if len(r.Makers) > 0 {
		parts = append(parts, "by "+joinPrintable(r.Makers))
	}
	var counts []string
	for _, c := range []struct {
		n    int
		noun string
	}{{len(r.Notes), "note"}, {len(r.Photos), "photo"}} {
		switch c.n {
		case 0:
		case 1:
			counts = append(counts, "1 "+c.noun)
		default:
			counts = append(counts, fmt.Sprintf("%d %ss", c.n, c.noun))
		}
	}
	if len(counts) > 0 {
		parts = append(parts, strings.Join(counts, ", "))
	}
	return fmt.Sprintf("  %s %s, revision %d: %s", printable(r.Kind), printable(r.Date), revision, strings.Join(parts, "; "))
}

// printable returns s, or s quoted when it holds a character that is not printable.
func printable(s string) string {
	for _, c := range s {
		if c != ' ' && !unicode.IsPrint(c) {
			return strconv.Quote(s)
		}
	}
	return s
}

func joinPrintable(list []string) string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = printable(s)
	}
	return strings.Join(out, ", ")
}

// firstWith returns the number of the first revision of c that tells repair r.
func firstWith(c *provenance.Chain, r provenance.Repair) int {
	for _, s := range c.Revisions {
		for _, e := range s.Revision.Repairs {
			if reflect.DeepEqual(e, r) {
				return s.Revision.Number
			}
		}
	}
	return c.Revisions[len(c.Revisions)-1].Revision.Number
}

// isURL says whether a source names an http or https URL rather than a file.
func isURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// originOf returns the scheme and host of an http or https URL.
func originOf(s string) (string, bool) {
	if !isURL(s) {
		return "", false
	}
	u, _ := url.Parse(s)
	return u.Scheme + "://" + u.Host, true
}

// readSource reads a file or fetches an http or https URL, refusing more than
// provenance.MaxFileBytes either way.
func readSource(ctx context.Context, client *http.Client, src string) ([]byte, error) {
	if !isURL(src) {
		f, err := os.Open(src)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return readBounded(f, src)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", src, resp.Status)
	}
	return readBounded(resp.Body, src)
}

// readBounded reads r whole unless it holds more than provenance.MaxFileBytes.
func readBounded(r io.Reader, src string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, provenance.MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", src, err)
	}
	if len(data) > provenance.MaxFileBytes {
		return nil, fmt.Errorf("%s holds more than the %d bytes a certificate may have", src, provenance.MaxFileBytes)
	}
	return data, nil
}
