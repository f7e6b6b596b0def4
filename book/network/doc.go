// Package network is the order book of a network of sites, as its hub keeps it: the sites and
// what each can make, the network's orders and which site has each, the routing of an order to
// a site (on time first, then nearest to the customer, then least loaded, every choice with its
// reasons), the acknowledgements a site owes and the timeout after which an order goes to the
// next best site, a planner's move of an order not started, a site marked gone, and the state of
// each order as its site reports it.
//
// The hub and its sites speak in the messages of messages.go, carried by telemetry/link: every
// message is idempotent (it says what is, not what changed), so that a replay after an outage
// applies nothing twice. The package holds the rules; persistence sits behind its Store
// interface (store/postgres/netstore), the links behind Links. It imports book (the batch's row
// errors), book/intake (the rows) and configs; it must not import api, cells, drivers,
// telemetry or any store implementation.
package network
