// Package book is the order book of a micro-factory: orders become work orders whose operations
// follow their SKU's routing, move through explicit states, and leave every change in an event
// log. It owns the rules (which transitions are legal, what a batch import accepts, how the
// baseline dispatcher fills the cell queues, what an order lacks once units are scrapped and
// how a remake makes them again, how turnaround is measured); persistence sits behind the Store
// interface.
//
// It is a top-level package because the order book fits none of the fixed folders: cells run
// it, the scheduler plans it, the API serves it. It imports the factory model (configs), its
// intake parsers and the standard library; it must not import api, cells, drivers, telemetry or
// any store implementation.
package book
