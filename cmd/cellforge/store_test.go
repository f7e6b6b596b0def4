package main

import (
	"strings"
	"testing"

	"github.com/cellforge/cellforge/configs"
	"github.com/cellforge/cellforge/store/postgres/pgtest"
)

func TestChooseStore(t *testing.T) {
	onPG := &configs.Factory{Store: configs.Store{Postgres: "postgres://cellforge@db.studio.lan/cellforge"}}
	onSQLite := &configs.Factory{Store: configs.DefaultStore()}
	for _, tc := range []struct {
		name, flag string
		f          *configs.Factory
		want, err  string
	}{
		{name: "no flag, no store section", f: onSQLite, want: ""},
		{name: "no flag, the file's database", f: onPG, want: "postgres://cellforge@db.studio.lan/cellforge"},
		{name: "the flag over the file", flag: "postgres://other@127.0.0.1:5433/book", f: onPG, want: "postgres://other@127.0.0.1:5433/book"},
		{name: "sqlite over the file", flag: "sqlite", f: onPG, want: ""},
		{name: "neither", flag: "mysql://db/book", f: onSQLite, err: `--store "mysql://db/book": want sqlite or a postgres:// URL`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := chooseStore(tc.flag, tc.f)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || c.postgres != tc.want {
				t.Fatalf("chooseStore = %+v, %v; want postgres %q", c, err, tc.want)
			}
		})
	}
	if s := (storeChoice{postgres: "postgres://u:secret@h/db"}).String(); strings.Contains(s, "secret") {
		t.Errorf("the log names the password: %s", s)
	}
}

// TestDaemonTag: daemons sharing a PostgreSQL book get MQTT client ids of their own, the same
// across a daemon's restarts; a SQLite daemon keeps the factory file's.
func TestDaemonTag(t *testing.T) {
	ctx := t.Context()
	lite, err := openStore(ctx, storeChoice{}, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	if tag := daemonTag(lite, "host:/var/lib/cellforge"); tag != "" {
		t.Errorf("SQLite daemon's tag = %q, want none", tag)
	}
	pg, err := openStore(ctx, storeChoice{postgres: pgtest.URL(t)}, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	a, again, b := daemonTag(pg, "loom-pc:/var/lib/cellforge"), daemonTag(pg, "loom-pc:/var/lib/cellforge"), daemonTag(pg, "office-pc:/var/lib/cellforge")
	if len(a) != 8 || a != again || a == b {
		t.Errorf("tags %q, %q (the same daemon again), %q (another): want 8 hex digits, stable, distinct", a, again, b)
	}
}
