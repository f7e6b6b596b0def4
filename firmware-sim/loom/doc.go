// Package loom is the firmware of a simulated jacquard loom: a device model
// that sits on a [modbus.Bank] and weaves the jobs a Modbus master (the
// CellForge controller) writes into it.
//
// It owns the loom's register map and its state machine (idle, running,
// done, fault), advances the weaving on a ticker in [Loom.Run] and lets
// tests inject faults with [Loom.InjectFault]. Serving the bank over Modbus
// TCP or RTU is the job of package modbus: add [Loom.Bank] to a
// [modbus.Server] as a unit.
//
// Being the other side of the wire, this package imports none of
// CellForge's packages: only the standard library and the simulator's own
// modbus core.
//
// # Register map
//
// Addresses are 0-based (PDU addressing); reading or writing outside the
// tables is answered with exception 2 (illegal data address).
//
//	Table              Addr  Meaning
//	-----------------  ----  ---------------------------------------------------
//	holding register   0     pattern id of the job
//	holding register   1     target units of the job
//	holding register   2     speed setpoint, picks per minute (default 120)
//	holding register   3     reserved, 0
//	coil               0     start: 1 starts a job (see below); the loom resets it
//	coil               1     stop: 1 stops a running job; the loom resets it
//	coil               2     fault reset: 1 clears a fault; the loom resets it
//	input register     0     state: 0 idle, 1 running, 2 done, 3 fault
//	input register     1     fault code: 0 none, 1 warp break, 2 weft out,
//	                         3 motor overload
//	input register     2-3   picks woven in the current job, uint32, high word first
//	input register     4     length woven in the current job, millimetres
//	                         (saturates at 65535)
//	input register     5     units completed of the current job
//	input register     6     pattern id of the current job
//	discrete input     0     running
//	discrete input     1     done
//	discrete input     2     fault
//
// # Behaviour
//
// The loom takes commands once per tick, or as soon as the master writes a
// coil or holding register while [Loom.Run] is running, in this order:
// fault reset, stop, start. Each command coil is set back to 0 when it has
// been taken, whether or not the command had an effect.
//
//   - Start from idle or done latches the pattern id and target from the
//     holding registers, resets picks, length and units to 0 and runs.
//     Start with target 0 is refused: the loom stays as it is. Start while
//     running or in fault is ignored.
//   - A running job weaves until units completed equals the target, then the
//     loom is done. A unit takes Config.UnitTime at the default speed of 120
//     picks per minute and proportionally less at a higher setpoint; the
//     setpoint is read on every tick, so changing it affects a running job.
//     A setpoint of 0 is taken as the default.
//   - Stop while running goes to idle and keeps the counts; otherwise it is
//     ignored.
//   - [Loom.InjectFault] puts the loom in fault from any state; counting
//     stops. Fault reset goes from fault to idle, clears the fault code and
//     keeps the counts.
//
// The input registers are updated one by one, so a master's read may see
// picks and units from neighbouring ticks while the loom is running; they
// are consistent once the job is done or stopped.
package loom
