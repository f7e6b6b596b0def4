package main

import (
	"strings"
	"testing"

	"github.com/cellforge/cellforge/configs"
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
