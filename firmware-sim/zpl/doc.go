// Package zpl is the firmware of a simulated ZPL II label printer: the
// device side of the wire that CellForge's label printer driver talks to.
//
// It owns the incremental parser of the ZPL stream, the labels the printer
// "printed" ([Printer.Labels]) or holds back ([Printer.Pending]), the host
// status answer and run-time fault injection ([Faults]). It serves raw TCP
// connections, several at once, as a port-9100 printer does
// ([Printer.Serve]), and a serial port given as an io.ReadWriter, such as
// the master end of a pseudo-terminal ([Printer.ServePort]). Each
// connection has its own parser and label format in progress.
//
// The accept and read loops and their shutdown are package stream's; this
// package gives it a session per connection.
//
// Being the other side of the wire, this package imports only the standard
// library and the simulator's package stream: none of CellForge's other
// packages.
//
// # Protocol subset
//
// A command is a prefix (^ or ~), a two-letter code (case-insensitive) and
// parameters that run to the next ^ or ~. CR and LF are ignored everywhere,
// as printers do. ^XA, ^XZ, ^FS and the tilde commands without parameters
// listed below end right after their code, so a format is printed and a
// status request answered as soon as its last byte arrives. Parameters
// longer than 16 KiB are cut there and the rest skipped up to the next
// prefix. Commands split across reads are reassembled: the result does not
// depend on how the stream is cut into reads.
//
//	Command            Kept as
//	-----------------  -----------------------------------------------------
//	^XA ... ^XZ        one [Label]
//	^FO x,y / ^FT x,y  Field.X, Field.Y of the next field
//	^Afo,h,w           Field.Font, Orientation, Height, Width of the next field
//	^CFf,h,w           default font of the following fields (kept across formats)
//	^FH[c]             the next ^FD is decoded: c (default _) and two hex
//	                   digits stand for one byte
//	^FD data           Field.Data (decoded), Field.Raw (as received)
//	^FS                ends the field; a field with data or a barcode is kept
//	^BQo,m,g,...       QR code: the field data "<ecc><mode>,<data>" (for
//	                   instance QA,https://...) is decoded: Field.Data is the
//	                   payload, Field.QR the error level, mode and parameters
//	^BCo,h,...         Code 128: Field.Data is the data as sent
//	^FX text           Label.Comments
//	^PQq,...           Label.Quantity (default 1)
//	other ^ commands   Label.Unknown, code and raw parameters, in order
//
// Field data ends at the next ^ or ~: a printer reads a tilde in field data
// as a command too, so a driver must send ^ and ~ hex-escaped with ^FH.
// A format closed by ^XZ with a field lacking ^FS keeps that field.
//
// Tilde commands act at once, inside a format or not: ~HS (host status,
// below), ~PP (pause), ~PS (resume: clears the pause and prints the labels
// held), ~JA (cancel all: drops the labels held). Other tilde commands are
// ignored with their parameters.
//
// # Malformed input
//
// Bytes outside a format that are not a command, ^ commands other than ^XA
// outside a format, and bytes inside a format that follow no command are
// ignored and counted in [Stats.Garbage]. A ^XA inside an open format
// discards the open format, as does a format with more than 4096 commands;
// both are counted in [Stats.Malformed]. An unterminated format is
// discarded when its connection ends. Nothing the parser receives makes it
// panic or wait for more than the rest of the command it is reading.
//
// # Host status
//
// ~HS is answered with three strings, each framed as STX ... ETX CR LF,
// unless [Faults.Silent] is set (real printers can be configured not to
// answer). Fields are comma separated:
//
//	String 1: aaa,b,c,dddd,eee,f,g,h,iii,j,k,l
//	  aaa   communication settings, always 030 (9600 baud, 8 bits)
//	  b     paper out flag (1 = paper out)
//	  c     pause flag (1 = paused)
//	  dddd  label length in dots (Config.LabelLength)
//	  eee   formats in the receive buffer: labels held back (Pending)
//	  f     buffer full flag, 0
//	  g     communications diagnostic mode flag, 0
//	  h     partial format flag: 1 while this connection has a ^XA open
//	  iii   unused, 000
//	  j     corrupt RAM flag, 0
//	  k, l  under / over temperature flags, 0
//	String 2: mmm,n,o,p,q,r,s,t,uuuuuuuu,v,www
//	  mmm   function settings, 000
//	  n     unused, 0
//	  o     head up flag (1 = head open)
//	  p     ribbon out flag, 0
//	  q     thermal transfer mode flag, 0 (direct thermal)
//	  r     print mode, 2 (tear-off)
//	  s     print width mode, 6
//	  t     label waiting flag, 0
//	  uuuuuuuu  labels remaining in batch: the quantities of held labels
//	  v     format while printing flag, 1
//	  www   graphic images stored, 000
//	String 3: xxxx,y
//	  xxxx  password, 1234
//	  y     static RAM installed, 0
//
// # Faults
//
// While the paper is out, the head is open or the printer is paused, a
// format received is not printed: it is held in [Printer.Pending] and
// printed, in order, once none of the three holds (after [Printer.SetFaults]
// or ~PS), unless ~JA cancels it first.
package zpl
