// Package api serves the order book over HTTP: the JSON API under /api/v1 described by the
// OpenAPI document it serves, sign-in and role checks, /healthz and the Prometheus /metrics.
//
// It is a leaf: nothing else in CellForge imports it. It imports the order book and the
// factory model; persistence reaches it only through the small interfaces it defines.
package api
