package pgutil

import (
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// ParseConfig is the pool's configuration of url (a postgres:// URL or a libpq key=value
// string), with the stores' defaults: a connection timeout of 5 s and no JIT compilation,
// unless url sets them.
func ParseConfig(url string) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("the database URL: %w", err)
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	// The stores' statements are reads by index whose cost estimates can pass the threshold of
	// JIT compilation (a year of OEE): compiling them took longer than running them, 2 s of a
	// 3.3 s read of a year of unit counts. A URL that sets jit keeps its own.
	if _, ok := cfg.ConnConfig.RuntimeParams["jit"]; !ok {
		cfg.ConnConfig.RuntimeParams["jit"] = "off"
	}
	return cfg, nil
}

// Redact names the database of cfg without its password.
func Redact(cfg *pgxpool.Config) string {
	c := cfg.ConnConfig
	return fmt.Sprintf("postgres://%s@%s:%d/%s", c.User, c.Host, c.Port, c.Database)
}
