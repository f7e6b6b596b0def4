// Package web serves the web app of the daemon: server-rendered pages for the three kinds of
// people who use CellForge every day.
//
//   - Floor staff follow their cell's queue on a shop tablet (/tablet): pick the cell, sign in
//     with a PIN, start, pause, complete and scrap jobs, report faults and reprint labels, with
//     the queue and the machine's progress kept live over server-sent events. A cell out of
//     service says who reported its fault, why, when and what to do, and is cleared on the page
//     with a note; the tablets are shared, so a PIN session ends after the factory's idle time
//     and "Switch operator" goes back to the cell's PIN pad.
//   - Managers watch turnaround (this week, last week and all time), drop progress and the
//     orders planned late, the cells and lost time on a dashboard (/manager), every chart an SVG
//     picture whose data downloads as CSV and whose marks a tap reads, as their tooltips do.
//   - Drop planners check and store order batches, check a drop's promise (the drop's date, and
//     the orders that would finish after their own due date) and see the plan as a Gantt chart
//     (/planner).
//
// The floor's pages (the cell picker, the PIN pad, a cell's page and its scripts' messages) speak
// the studio's language: every word of them is a message of package i18n's catalogues, chosen
// per request from the device's choice, the factory's tablet.language or the browser's; each
// language has its own set of templates whose functions speak it.
//
// The pages use a little JavaScript (htmx, vendored from npm and committed, and the app's own
// scripts) and every asset is embedded in the binary: the studio's network may have no internet.
// Actions on operations go through the JSON API (package api) with the sign-in cookie, so the
// rules, idempotency keys and version checks are the API's; the pages only read the book.
//
// It imports the order book, the plan, the factory model and package api for sign-in; nothing
// but cmd/cellforge imports it.
package web
