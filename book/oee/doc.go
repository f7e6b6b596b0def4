// Package oee computes overall equipment effectiveness, the six big losses, the Pareto of stop
// reasons and first-pass yield from plain values: the cells' working hours and stops, the units
// the book counted and the stops section of the config. It reads nothing and keeps nothing, so
// that the book, the scenario tests and the benchmarks compute the same figures; it imports the
// standard library and configs only.
//
// # Definitions
//
// Per cell, over a window [From, To) cut into buckets (a shift of configs.Stops.Shifts, a day, or
// a week from Monday 00:00) in the factory's time zone. A bucket is measured up to Now: the part
// of it still to come is no time at all yet.
//
//   - Working time W: the bucket's time within the cell's working hours (always, without hours).
//   - A stop's time is its interval clipped to the bucket and to the working windows; a stop
//     still open counts until Now (or the window's end, if earlier).
//   - Excluded E: no-work stops, and stops whose reason's loss is none (a break, planned
//     maintenance), whatever their length.
//   - Planned production time P = W - E.
//   - Availability losses: the other stops at least Prompt long (the stop's whole length decides,
//     not its clipped part): breakdowns (a reason with loss breakdowns, no reason, or a code the
//     tree no longer holds) and set-up and adjustments (a reason with loss setup-adjustments).
//   - Run time R = P - availability losses; availability A = R / P (0 when P = 0).
//   - Units are counted when the book records them, at the cell that recorded them; each unit's
//     ideal time is its operation's unit time. Total count T = units done + units scrapped, rework
//     operations' included; ideal time I = the sum of their ideal times.
//   - Performance Pf = min(1, I / R) (0 when R = 0). The performance loss R - min(I, R) splits
//     into small stops (the time of stops shorter than Prompt that are not excluded, at most the
//     loss) and reduced speed (the rest).
//   - Good G: units done at operations that are not rework and whose check did not fail. Rejects
//     T - G: units scrapped at an operation before its first good unit are start-up rejects (in
//     one count, scrapped units come before the done ones); every other reject (scrapped after
//     it, done at an operation whose check failed, whatever the decision, done at a rework
//     operation) is a production reject. Quality Q = G / T (0 when T = 0: "no units").
//   - OEE = A x Pf x Q.
//   - Waterfall: W, excluded, P, breakdowns, set-up, R, small stops, reduced speed, net run time
//     min(I, R), start-up and production rejects (their units' ideal time, scaled so that net run
//     time minus them is OEE x P), fully productive time OEE x P.
//   - Totals over cells add every duration and count of the cells (the waterfall of the total is
//     the sum of theirs) and take A, Pf, Q and OEE from the sums: A = R / P, Pf = net run time /
//     R, Q = G / T.
//   - Pareto of stop reasons: stops that are not no-work and at least Prompt long, clipped as
//     above, by reason code, most minutes first, with the cumulative percent; a stop with no
//     reason is "awaiting" while it lasts and until ReasonWindow after its end, "not-given" after.
//   - First-pass yield, per SKU and per cell, over the operations ended in the window, rework
//     operations left out: units done at operations whose check did not fail (or that have no
//     checklist), over units done and scrapped.
package oee
