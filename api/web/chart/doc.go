// Package chart owns the server-side rendering of charts as accessible SVG: line charts over
// time, bar charts and histograms, stacked horizontal bars and the planner's Gantt chart. It
// turns plain data (times, numbers, labels) into one <svg> element per call and does no I/O:
// callers fetch the data and write the result into their pages.
//
// Every chart carries a <title> and a <desc> referenced by aria-labelledby, class names for CSS
// and explicit colours from the Okabe-Ito colour-blind-safe palette, so it reads right with or
// without a style sheet. All text is escaped; NaN and infinite values are skipped.
//
// It imports only the standard library and none of CellForge's packages, so any page handler
// can use it and it can be benchmarked on its own.
package chart
