// Package api serves the order book over HTTP: the JSON API under /api/v1 described by the
// OpenAPI document it serves, sign-in and role checks (bearer tokens, or the session cookie of
// the web pages with a CSRF header for writes), /healthz and the Prometheus /metrics. Mount
// serves the web pages at every other path.
//
// Nothing else in CellForge imports it but cmd and the web pages (api/web), which use its
// sign-in, sessions and permissions. It imports the order book and its intake parsers, the
// factory model, the cell controllers' types, the planner (cells/planner) and the devices'
// health (drivers/health); persistence reaches it only through the small interfaces it defines.
package api
