package qrsvg_test

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cellforge/cellforge/api/web/qrsvg"
)

// TestMain installs the independent reader of what the package draws, when it is missing:
// rsvg-convert rasterises the SVG and zbarimg decodes the QR code in it. Failing to install
// them fails the run.
func TestMain(m *testing.M) {
	for _, prog := range []string{"rsvg-convert", "zbarimg"} {
		if _, err := exec.LookPath(prog); err == nil {
			continue
		}
		cmd := exec.Command("../../../scripts/deps.sh", prog)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "installing %s: %v\n", prog, err)
			os.Exit(1)
		}
	}
	os.Exit(m.Run())
}

// TestSVGScans draws codes and reads them back with zbarimg, from the SVG rasterised by
// rsvg-convert, as a phone would from a printed slip.
func TestSVGScans(t *testing.T) {
	tests := []struct{ name, text string }{
		{name: "a staff page", text: "https://loom-lantern.example/manager/repairs/R-000042"},
		{name: "markup and quotes", text: `https://x.test/r?a=<b>&c="d"&e='f'`},
		{name: "utf-8", text: "Zoë Quist, Größe Ω"},
		{name: "one character", text: "R"},
		{name: "a long url", text: "https://loom-lantern.example/r/" + strings.Repeat("Abc-_9", 250)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			svg, err := qrsvg.SVG(tc.text, "Parcel slip of R-000042")
			if err != nil {
				t.Fatal(err)
			}
			if got := scan(t, string(svg)); got != tc.text {
				t.Errorf("scanned %q, want %q", got, tc.text)
			}
		})
	}
}

// scan rasterises svg and returns what zbarimg reads in it.
func scan(t *testing.T, svg string) string {
	t.Helper()
	dir := t.TempDir()
	in, png := filepath.Join(dir, "qr.svg"), filepath.Join(dir, "qr.png")
	if err := os.WriteFile(in, []byte(svg), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("rsvg-convert", "--width", "800", "--height", "800", "--output", png, in).CombinedOutput(); err != nil {
		t.Fatalf("rsvg-convert: %v\n%s", err, out)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command("zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", "-Sbinary", png)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("zbarimg found no code: %v\n%s", err, stderr.Bytes())
	}
	return strings.TrimSuffix(stdout.String(), "\n")
}

// TestSVGIsAccessibleAndEscaped checks the element a page embeds: well-formed XML, an image
// named by its title, whatever the title holds.
func TestSVGIsAccessibleAndEscaped(t *testing.T) {
	title := `Slip </title><script>alert("R-1")</script> & more`
	svg, err := qrsvg.SVG("https://x.test/r/1", title)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		XMLName xml.Name
		Role    string     `xml:"role,attr"`
		Label   string     `xml:"aria-label,attr"`
		ViewBox string     `xml:"viewBox,attr"`
		Title   string     `xml:"title"`
		Script  []struct{} `xml:"script"`
		Path    struct {
			D string `xml:"d,attr"`
		} `xml:"path"`
	}
	if err := xml.Unmarshal([]byte(svg), &doc); err != nil {
		t.Fatalf("not well-formed: %v\n%s", err, svg)
	}
	if doc.XMLName.Local != "svg" || doc.Role != "img" || doc.Title != title || doc.Label != title || len(doc.Script) != 0 {
		t.Errorf("svg %+v, want an img titled %q", doc, title)
	}
	if !strings.HasPrefix(doc.ViewBox, "0 0 ") || doc.Path.D == "" {
		t.Errorf("viewBox %q, path %q", doc.ViewBox, doc.Path.D)
	}
}

func TestSVGRefuses(t *testing.T) {
	tests := []struct{ name, text, title, want string }{
		{name: "no text", title: "t", want: "qr code of no text"},
		{name: "too long", text: strings.Repeat("a", qrsvg.MaxText+1), title: "t", want: "qr code of 2332 bytes longer than 2331"},
		{name: "no title", text: "a", title: " ", want: "qr code without a title"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := qrsvg.SVG(tc.text, tc.title); err == nil || err.Error() != tc.want {
				t.Fatalf("SVG error %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := qrsvg.SVG(strings.Repeat("a", qrsvg.MaxText), "t"); err != nil {
		t.Fatalf("SVG of MaxText bytes: %v", err)
	}
}
