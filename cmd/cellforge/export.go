package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/cellforge/cellforge/api"
	"github.com/cellforge/cellforge/api/web/unitpage"
	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/certify"
	"github.com/cellforge/cellforge/book/photos"
	"github.com/cellforge/cellforge/book/provenance"
)

// provenanceCmd runs the provenance subcommands: export, for now.
func provenanceCmd(ctx context.Context, args []string, e *env) error {
	const synopsis = "provenance export --config FILE [--data DIR] [--store sqlite|URL] OUTDIR"
	fs := newFlagSet("provenance export", synopsis, e)
	configPath := fs.String("config", "", "factory config `file` (YAML)")
	dataDir := fs.String("data", "./data", "the daemon's data `directory`")
	storeFlag := fs.String("store", "", storeFlagUsage)
	if len(args) == 0 || args[0] != "export" {
		fmt.Fprintln(e.stderr, "cellforge provenance: name what to do: export")
		fs.Usage()
		return errUsage
	}
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	var out string
	if fs.NArg() > 0 {
		out = fs.Arg(0)
		if err := parseFlags(fs, fs.Args()[1:]); err != nil {
			return err
		}
	}
	switch {
	case *configPath == "":
		fmt.Fprintln(e.stderr, "cellforge provenance export: --config is required")
		fs.Usage()
		return errUsage
	case out == "" || fs.NArg() > 0:
		fmt.Fprintln(e.stderr, "cellforge provenance export: name one directory to write the pages to")
		fs.Usage()
		return errUsage
	}
	n, err := exportProvenance(ctx, *configPath, *dataDir, *storeFlag, out)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote the pages, certificates and photos of %d units to %s\n", n, out)
	return nil
}

// exportProvenance writes the public page, the certificate and the photos of every finished
// unit of the book (in dataDir, or where storeFlag or the config's store section says) to out, as static files for a web host's root: u/{serial}/ (the
// page as index.html, certificate.json, photos/) and the studio's public keys. It issues the
// revisions a changed story is due, as the daemon would when the page is asked for, so it may
// run beside the daemon. It returns how many units it wrote.
func exportProvenance(ctx context.Context, configPath, dataDir, storeFlag, out string) (int, error) {
	factory, err := loadConfig(configPath)
	if err != nil {
		return 0, err
	}
	choice, err := chooseStore(storeFlag, factory)
	if err != nil {
		return 0, err
	}
	if choice.postgres == "" {
		if _, err := os.Stat(filepath.Join(dataDir, sqliteFile)); err != nil {
			return 0, fmt.Errorf("no order book in %s: %w", dataDir, err)
		}
	}
	keys, err := openKeyRing(serveFlags{configPath: configPath, dataDir: dataDir}, factory)
	if err != nil {
		return 0, err
	}
	logger := slog.New(slog.DiscardHandler)
	st, err := openStore(ctx, choice, dataDir, logger)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	b := book.New(book.Config{Store: st, Factory: factory, Logger: logger})
	ph, err := photos.New(filepath.Join(dataDir, photosDir), photos.Options{}, logger)
	if err != nil {
		return 0, err
	}
	issuer := certify.New(certify.Config{Book: b, Factory: factory, Keys: keys})
	x := exporter{out: out, photos: ph}
	if err := x.keys(keys); err != nil {
		return 0, err
	}
	n := 0
	for after := int64(0); ; {
		wos, err := b.WorkOrders(ctx, book.WorkOrderFilter{State: book.WorkDone, AfterID: after, Limit: 500})
		if err != nil {
			return n, err
		}
		if len(wos) == 0 {
			return n, nil
		}
		for _, wo := range wos {
			after = wo.ID
			units, err := b.Units(ctx, wo.ID)
			if err != nil {
				return n, err
			}
			for _, unit := range units {
				if unit.Scrapped != nil {
					continue
				}
				u, err := issuer.Unit(ctx, unit.Serial)
				if errors.Is(err, certify.ErrUnknownUnit) {
					continue
				}
				if err != nil {
					return n, err
				}
				if err := x.unit(u); err != nil {
					return n, err
				}
				n++
			}
		}
	}
}

// exporter writes the static files of an export.
type exporter struct {
	out    string
	photos *photos.Store
}

func (x exporter) keys(ring *provenance.KeyRing) error {
	body, err := ring.PublicKeys().Marshal()
	if err != nil {
		return err
	}
	return x.write(strings.TrimPrefix(api.KeysPath, "/"), body)
}

// unit writes the files of one unit.
func (x exporter) unit(u certify.Unit) error {
	serial := u.Revision.Serial
	if serial == "" || serial == "." || serial == ".." || strings.ContainsAny(serial, `/\`) || serial != filepath.Clean(serial) {
		return fmt.Errorf("unit %q: its serial cannot name a directory", serial)
	}
	base := "/u/" + serial
	page := unitpage.Page{Revision: u.Revision, Finished: true, Links: unitpage.Links{
		Certificate: base + "/certificate.json",
		Keys:        api.KeysPath,
		Photo:       func(h, mt string) string { return base + "/photos/" + h + photos.Ext(mt) },
		Thumbnail:   func(h, _ string) string { return base + "/photos/" + h + ".thumb.jpg" },
	}}
	var html strings.Builder
	if err := unitpage.Render(&html, page); err != nil {
		return err
	}
	dir := filepath.Join("u", serial)
	if err := x.write(filepath.Join(dir, "index.html"), []byte(html.String())); err != nil {
		return err
	}
	if err := x.write(filepath.Join(dir, "certificate.json"), u.Certificate); err != nil {
		return err
	}
	for _, p := range u.Revision.AllPhotos() { // the unit's and its repairs'
		full, _, err := x.photos.Open(p.SHA256)
		if err != nil {
			return fmt.Errorf("unit %s: photo %s: %w", serial, p.SHA256, err)
		}
		err = x.copy(filepath.Join(dir, "photos", p.SHA256+photos.Ext(p.MediaType)), full)
		if err != nil {
			return err
		}
		thumb, err := x.photos.OpenThumbnail(p.SHA256)
		if err != nil {
			return fmt.Errorf("unit %s: the thumbnail of photo %s: %w", serial, p.SHA256, err)
		}
		if err := x.copy(filepath.Join(dir, "photos", p.SHA256+".thumb.jpg"), thumb); err != nil {
			return err
		}
	}
	return nil
}

// write writes data to name under the export's directory, replacing what was there.
func (x exporter) write(name string, data []byte) error {
	path := filepath.Join(x.out, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// copy copies f to name under the export's directory and closes f.
func (x exporter) copy(name string, f *os.File) error {
	defer f.Close()
	path := filepath.Join(x.out, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	w, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, f); err != nil {
		w.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return w.Close()
}
