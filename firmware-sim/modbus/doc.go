// Package modbus is the Modbus slave core of the firmware simulator: the
// device side of the wire that CellForge's drivers talk to.
//
// It owns the register banks of simulated devices (coils, discrete inputs,
// holding and input registers), the handling of the protocol data units of
// function codes 1, 2, 3, 4, 5, 6, 15 and 16 as the Modbus Application
// Protocol Specification v1.1b3 defines them, the Modbus TCP (MBAP) and
// Modbus RTU (serial line, CRC-16) framings, and run-time fault injection
// (delay, dropped response, forced exception, corrupt CRC, closed
// connection).
//
// Device models (the simulated loom, the dye station) sit on top: they read
// and write their [Bank] through its methods and observe the master's writes
// with [Bank.OnWrite].
//
// Being the other side of the wire, this package imports none of
// CellForge's packages: only the standard library.
package modbus
