// Package drivers is the root of CellForge's device drivers: the code that
// talks to machines over the wire. Each protocol has its own package below:
//
//   - [github.com/cellforge/cellforge/drivers/modbus]: Modbus TCP and RTU
//     masters driven by YAML device profiles (looms, dye stations);
//   - [github.com/cellforge/cellforge/drivers/zpl]: ZPL label printers;
//   - [github.com/cellforge/cellforge/drivers/escpos]: ESC/POS ticket printers;
//   - [github.com/cellforge/cellforge/drivers/rawport]: the raw stream (TCP or serial) both
//     printer drivers talk over, one request at a time, and the printer
//     over it (a print's status checks, the fault error) that both are;
//   - [github.com/cellforge/cellforge/drivers/health]: the health every driver
//     reports (connected, round trip, errors) as Prometheus metrics.
//
// Drivers import only the standard library, the protocol libraries and
// package health: never the order book, the cells or the API. Cell
// controllers (package cells) sit above them.
package drivers
