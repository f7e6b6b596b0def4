// Package stream serves a simulated device that speaks over a raw byte
// stream, as a printer does on TCP port 9100 or on a serial line: it
// accepts connections from a listener, several at a time, and serves each
// in its own goroutine ([Server.Serve]), or serves one serial port given as
// an io.ReadWriter, such as the master end of a pseudo-terminal
// ([Server.ServePort]). It owns the read loop, the shutdown when the
// context ends (closing the listener and every connection, unblocking a
// port's pending read) and the waiting for its goroutines.
//
// It knows nothing of any protocol: each connection gets a [Session] of the
// device's own, which is fed the bytes read and returns the answers to
// write back.
//
// Being part of the simulator, it imports only the standard library: none
// of CellForge's packages.
package stream
