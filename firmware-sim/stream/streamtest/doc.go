// Package streamtest helps tests run a simulated stream device (a printer
// of package escpos or zpl) on a real TCP port or on a pseudo-terminal pair
// for as long as the test runs, and wait for what it does: the
// simulators' own tests and the tests of the drivers that talk to them use
// it alike.
//
// Being part of the simulator, it imports only the standard library and
// package pty: none of CellForge's other packages.
package streamtest
