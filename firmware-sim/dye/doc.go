// Package dye is the firmware of a simulated textile dye station: a heated
// dye bath on a [modbus.Bank] that runs the batches a Modbus master (the
// CellForge controller) writes into it.
//
// It owns the station's register map, its batch state machine (fill, heat,
// hold, rinse, drain), the bath's physics (temperature, pH, level) and its
// over-temperature protection. It advances on a ticker in [Station.Run] and
// lets tests inject faults with [Station.InjectFault] and
// [Station.StickHeater]. Serving the bank over Modbus TCP or RTU is the job
// of package modbus: add [Station.Bank] to a [modbus.Server] as a unit.
//
// Being the other side of the wire, this package imports none of
// CellForge's packages: only the standard library and the simulator's own
// modbus core.
//
// # Register map
//
// Addresses are 0-based (PDU addressing); reading or writing outside the
// tables is answered with exception 2 (illegal data address). All holding
// registers are 0 at power-up, so a start needs a job written first.
//
//	Table              Addr  Meaning
//	-----------------  ----  ---------------------------------------------------
//	holding register   0     recipe id of the batch
//	holding register   1     bath temperature setpoint, tenths of °C, int16
//	                         (850 = 85.0 °C)
//	holding register   2     hold time, seconds
//	holding register   3     target pH, hundredths (450 = 4.50), at most 1400
//	holding register   4     batch volume, litres, 1 up to the capacity
//	coil               0     start: 1 starts a batch (see below); the station resets it
//	coil               1     stop: 1 aborts a running batch; the station resets it
//	coil               2     fault reset: 1 clears a fault; the station resets it
//	input register     0     state: 0 idle, 1 fill, 2 heat, 3 hold, 4 rinse,
//	                         5 drain, 6 done, 7 fault
//	input register     1     fault code: 0 none, 1 over-temperature,
//	                         2 low level (fill timeout), 3 heater failure
//	input register     2     bath temperature, tenths of °C, int16
//	input register     3     bath pH, hundredths
//	input register     4     bath level, litres
//	input register     5     hold time remaining, seconds (rounded up): the whole
//	                         hold time during fill and heat, 0 after the hold
//	input register     6     batches completed since power-up (wraps at 65536)
//	input register     7     recipe id of the current or last batch
//	input register     8-9   bath temperature, °C, IEEE 754 float32, high word first
//	input register     10    why the last start or fault reset was refused:
//	                         0 it was taken, 1 setpoint above the limit,
//	                         2 volume 0 or above the capacity, 3 pH above 14.00,
//	                         4 a batch is running, 5 in fault, 6 fault reset
//	                         while the bath is not yet below the limit less
//	                         the reset margin
//	discrete input     0     running (fill, heat, hold, rinse or drain)
//	discrete input     1     done
//	discrete input     2     fault
//	discrete input     3     heater on (delivering heat)
//
// # Behaviour
//
// The station takes commands once per tick, or as soon as the master writes
// a coil or holding register while [Station.Run] is running, in this order:
// fault reset, stop, start. Each command coil is set back to 0 when it has
// been taken, whether or not the command had an effect.
//
//   - Start from idle or done latches recipe, setpoint, hold time, target
//     pH and volume from the holding registers and begins the fill; writing
//     them during a batch affects only the next one. A start is refused when
//     the setpoint is above Config.MaxTemp (no bath may be sent to trip its
//     own protection), the volume is 0 or above Config.Capacity, or the
//     target pH is above 14.00; also while a batch runs or in fault. A
//     refused start changes nothing but input register 10, which says why;
//     a taken one sets it to 0.
//   - Fill brings the level linearly from where it is to the batch volume in
//     Config.FillTime. Heat drives the bath toward the setpoint and ends when
//     it is within Config.Tolerance below it (at once when it is already
//     there). Hold keeps the bath at the setpoint for the hold time. Rinse
//     lasts Config.RinseTime at constant level; drain empties the bath
//     linearly in Config.DrainTime. Then the station is done and the
//     batches counter goes up by one.
//   - Stop during fill, heat, hold or rinse aborts the batch into drain, and
//     the drain ends in idle, not done, without counting a batch: hot dye
//     liquor is not left standing in the bath. Stop during drain makes the
//     drain end in idle; otherwise it is ignored.
//   - The bath reaching Config.MaxTemp, from any state, trips the station to
//     fault with code 1; [Station.InjectFault] does the same with any code
//     (codes 2 and 3 come only from it, the simulation has no level sensor
//     or heater element to fail on its own).
//     In fault the heater's supply is cut, even a stuck heater's, and the
//     bath cools toward ambient; the level and pH stay. Fault reset goes to
//     idle and clears the fault code only when the bath is back below
//     Config.MaxTemp by Config.ResetMargin (default 2 °C), as a thermal
//     cut-out's reset differential would have it; otherwise it is refused
//     (input register 10 is 6) and the station stays in fault. A heater still stuck after the reset heats
//     the bath again and trips it again.
//
// # Physics
//
// The bath temperature T is a first-order lag: dT/dt = (T_drive - T)/τ with
// τ = Config.TimeConstant. During heat and hold the heater controller drives
// it toward the setpoint; a bath above the setpoint (the heater cannot cool)
// drifts toward ambient until it is back at the setpoint. In every other
// state T_drive is Config.Ambient, except that a stuck heater drives toward
// Config.HeaterFullTemp until the trip. The pH follows the same law with
// τ = Config.PHTimeConstant: toward the target pH during fill, heat and
// hold, toward Config.WaterPH during the rinse, unchanged otherwise.
//
// Both are advanced with the exact exponential solution, and the simulated
// time is cut at the exact instant of every event (the end of a phase, the
// trip), so the state after a given time does not depend on the tick or on
// how often the simulation is advanced.
//
// The input registers are updated one by one, so a master's read may mix
// values from neighbouring ticks while the bath is changing.
package dye
