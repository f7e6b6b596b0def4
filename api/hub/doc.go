// Package hub serves the network's hub over HTTP: the JSON API under /api/v1/network (batches
// of the network's drops, the sites, the orders with their routes and reasons, moves, sites
// marked gone, the drops' progress across sites, the orders as CSV), /healthz, and the network
// dashboard at /network (server-rendered from embedded templates, signed in with a token of the
// hub's file held in a signed cookie, refreshed every 5 s by a small embedded script).
//
// It applies no rule of the network itself: every request goes to book/network's Rules, the
// Idempotency-Keys of batches and repair requests too (kept in the network's book). It
// shares the site API's door (api: error bodies, Host checks, bearer tokens) and imports
// book/network, book/intake and configs; nothing imports it but cmd.
package hub
