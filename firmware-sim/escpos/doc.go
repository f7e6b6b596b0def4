// Package escpos is the firmware of a simulated ESC/POS thermal
// micro-printer (58 mm, 32 columns by default): the device side of the wire
// that CellForge's ticket printer driver talks to.
//
// It owns the incremental parser of the ESC/POS byte stream, the tickets the
// printer "printed" (each cut ends one, see [Printer.Tickets]), the
// real-time status answers and run-time fault injection ([Faults]). It
// serves raw TCP connections, several at once, as a port-9100 printer does
// ([Printer.Serve]), and a serial port given as an io.ReadWriter, such as
// the master end of a pseudo-terminal ([Printer.ServePort]). Each
// connection has its own parser, attributes and ticket in progress; tickets
// are kept by the printer in the order they were cut.
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
// Commands split across reads are reassembled: the parser keeps an
// incomplete command until the rest arrives, so the result does not depend
// on how the stream is cut into reads.
//
//	Bytes              Command                  Effect
//	-----------------  -----------------------  ----------------------------------------
//	20..FF             text                     added to the line in progress; bytes are
//	                                            kept as received (code page, not UTF-8)
//	LF                 print and line feed      ends the line (an empty line is blank)
//	CR, other C0       -                        ignored (HT is kept as text)
//	ESC @              initialize               attributes reset, unprinted text and the
//	                                            stored QR data cleared
//	ESC E n            emphasized               bold when bit 0 of n is set
//	ESC ! n            print mode               bold (bit 3), double height (bit 4),
//	                                            double width (bit 5)
//	ESC a n            justification            0/48 left, 1/49 center, 2/50 right
//	GS ! n             character size           width (n>>4)&7 + 1, height n&7 + 1
//	ESC d n            print and feed n lines   as n LFs; n = 0 ends a non-empty line
//	GS V m             cut (function A)         m = 0/48 full, 1/49 partial
//	GS V m n           cut (functions B, C, D)  m = 65, 97, 103 full; 66, 98, 104 partial
//	ESC i, ESC m       cut (obsolete forms)     full, partial
//	GS ( k pL pH 49 65 n1 n2   QR model         n1 = 49 model 1, 50 model 2
//	GS ( k pL pH 49 67 n       QR module size   n dots
//	GS ( k pL pH 49 69 n       QR error level   48 L, 49 M, 50 Q, 51 H
//	GS ( k pL pH 49 80 48 d..  QR store data    the pL+256*pH-3 bytes d..
//	GS ( k pL pH 49 81 48      QR print         prints the stored data
//	DLE EOT n          real-time status         answered at once, see below
//
// A cut first ends a line in progress, then ends the ticket; a cut with
// nothing printed before it still yields a (blank) ticket. Lines wider than
// [Config.Columns] wrap, counting each character as its width multiplier.
// When a connection ends, a ticket with printed lines or QR codes that was
// never cut is kept with [CutNone]; text not ended by LF is not printed.
//
// # Skipping other commands
//
// Commands that are not acted on are skipped by their length so that their
// parameters are never mistaken for text or commands:
//
//   - fixed-length ESC, GS and FS commands (ESC - n, ESC 3 n, ESC J n,
//     ESC p m t1 t2, GS H n, GS w n, GS L nL nH, FS ! n, ...) by a table;
//   - length-prefixed families by their prefix: GS ( x pL pH, ESC ( x pL pH,
//     FS ( x pL pH, GS 8 L p1..p4, and GS ( k for symbols other than QR
//     (cn other than 49) or QR functions not listed above (such as 82,
//     transmit size, which is not answered);
//   - images and barcodes by their declared size: ESC * m nL nH,
//     GS v 0 m xL xH yL yH, GS * x y, GS k m (NUL-terminated for m <= 6,
//     counted for m >= 65), ESC D tab stops up to NUL, ESC & user characters;
//   - DLE EOT 7 a and DLE EOT 8 a (4 bytes, not answered), DLE ENQ n
//     (3 bytes), DLE DC4 fn a b (5 bytes).
//
// An ESC, GS or FS followed by a byte the parser does not know is skipped as
// those two bytes; what follows is parsed afresh, so at worst an unknown
// command's parameters print as text, and the parser never loses its place
// for longer than that. Real-time status commands are recognised between
// commands, not inside another command's parameters or data.
//
// # Status bytes
//
// DLE EOT n is answered immediately with one byte, unless [Faults.Silent]
// is set. Every answer has bit 1 and bit 4 set and bits 0 and 7 clear
// (base 0x12), as the Epson specification fixes; the other bits are:
//
//	n  Status          Bit  Meaning when set
//	-  --------------  ---  ------------------------------------------------
//	1  printer         3    offline (paper out, cover open or offline fault)
//	2  offline cause   2    cover open
//	                   5    printing stopped by paper end
//	3  error cause     -    none simulated: always 0x12
//	4  paper sensor    2,3  roll paper near end (near-end fault or paper out)
//	                   5,6  roll paper end (paper out)
//
// Other values of n are not answered.
//
// # Faults
//
// While the paper is out, the cover is open or the printer is offline,
// printing stops: text received is discarded, and lines, QR codes and cuts
// are not printed but counted by [Printer.Dropped]. Commands are still
// parsed, so attributes stay in step, and status is still answered.
package escpos
