package booktest

import (
	"strings"
	"testing"
)

// TestKindOf checks that the store variable chooses SQLite when unset and refuses a name it
// does not know, naming the variable.
func TestKindOf(t *testing.T) {
	for _, tc := range []struct {
		name, value, want string
	}{
		{"unset", "", KindSQLite},
		{"sqlite", "sqlite", KindSQLite},
		{"postgres", "postgres", KindPostgres},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := kindOf(tc.value); err != nil || got != tc.want {
				t.Errorf("kindOf(%q) = %q, %v; want %q", tc.value, got, err, tc.want)
			}
		})
	}
	for _, bad := range []string{"Postgres", "pg", "mysql", " sqlite"} {
		if _, err := kindOf(bad); err == nil || !strings.Contains(err.Error(), EnvStore) {
			t.Errorf("kindOf(%q): %v, want an error naming %s", bad, err, EnvStore)
		}
	}
}

// TestIsURL checks which addresses Open takes for a PostgreSQL database.
func TestIsURL(t *testing.T) {
	for addr, want := range map[string]bool{
		"postgres://postgres@127.0.0.1:5432/t_1":   true,
		"postgresql://postgres@127.0.0.1:5432/t_1": true,
		"/tmp/x/book.db": false,
		"book.db":        false,
	} {
		if got := isURL(addr); got != want {
			t.Errorf("isURL(%q) = %v, want %v", addr, got, want)
		}
	}
}
