// Package cells runs the floor: one controller per cell binds the cell's machine and printers
// to the cell's queue in the order book.
//
// A [Cell] starts the operation at the head of its queue on its machine (writing the job: a
// loom's pattern and units, a dye station's recipe and temperature), turns the machine's
// counters and state into progress and completion, takes the cell out of service when the
// machine faults or cannot be reached (the book hands its queued work to other cells) and
// brings it back when the machine recovers. A cell holding a label printer prints a label for
// every unit it finishes, and prints one again on request ([Cell.ReprintLabel]). [Tickets] prints a work ticket when a work order is dispatched.
//
// While a job runs, the controller summarises the readings of the registers the machine's
// profile marks record (a dye bath's temperature and pH: lowest, highest, the value held and
// for how long, see [book.ReadingSummary]) and writes them to the operation's record every
// [Config.RecordEvery], when the job pauses, ends or leaves the machine, and when Run returns.
// A job sent again after a pause or a fault, or adopted after a restart, goes on from what
// the book holds, so a restart loses at most RecordEvery of them; a pause ends a hold, a
// restart under a running machine does not.
//
// What the floor owes and holds is in the order book's store, not in a controller: the labels
// owed (the book records them in the transaction that finishes the unit), how far the tickets
// are printed, whether a cell is down and why, a fault a person reported, and the operation a
// fault paused. A controller started after a crash ([Cell.Restore]) goes on as the one before
// it would have. A label or ticket is forgotten only once the printer confirmed it; one the
// process died with between the printer's confirmation and that record prints again, once,
// with the same serial or work order on it, and so may one the printer took but could not then
// confirm (its status read failed). A print once sent is not cut off by a stop.
//
// # Who wins
//
// The floor staff act on the book (through the API); the machine reports what it does. The
// controller reconciles the two with these rules, so they never contradict each other. It looks
// every tick and as soon as a reading of the machine changed, but reconciles only when
// something changed since the last time: the book was written, a reading changed, the machine
// was found or lost, a person reported or cleared a fault; while a job is on the machine, or a
// print or a write is to be tried again, at every look. A cell whose machine idles costs a look
// no query and no allocation, however often its machine is polled.
//
//   - The book says what should run. An operation a person starts, pauses, resumes, completes
//     or scraps is what the machine is told: a pause or a scrap stops the machine, a resume
//     sends the units still to make, and a completion by hand ends the machine's job (the
//     person may have finished it by hand).
//   - The machine says what was made. Units it counts are recorded as progress and never go
//     down; when it reports the job done, the operation completes, unless a person paused it
//     first, in which case it completes the moment it is resumed, with nothing left to make.
//   - A machine fault or a lost connection beats everything: the cell goes down with the
//     reason, the running operation is paused, queued work goes back for re-planning. A fault
//     the controller paused an operation for is resumed by the controller when the machine
//     recovers; an operation a person paused stays paused until a person resumes it. A
//     machine that went on with its job while the connection was lost, or ended it, is not
//     sent it again: its count and its end go on being recorded. So is one found done by a
//     controller that starts after a restart, or on another daemon taking the cell over, when
//     the book records the head's job as the last sent to it (see jobs.go).
//   - A fault a person reports ([Cell.ReportFault]) beats the machine's word: the cell goes
//     down as for a machine fault (a machine still working is stopped) and stays down, even
//     while the machine reports no fault, until [Cell.Reset]. A manual cell goes down and
//     comes back only this way.
//   - A cell with a machine starts the head of its queue by itself when the machine is idle,
//     unless its configuration turns auto_start off (a person loads the material and starts
//     each job); a cell without a machine waits for a person.
//   - A step with a quality checklist is completed by a person, never by the controller: when
//     the machine reports its job done, its units are recorded and the operation stays running,
//     waiting for a person to check them and complete it with the checklist (the book refuses a
//     controller's completion of it). The machine is left done meanwhile.
//
// # Stops
//
// At every look at the cell the controller works out its condition, and tells the book
// ([book.Book.TrackStop]) when it changed from the last one it recorded (compared in memory, so
// that a cell whose condition holds costs the book nothing): the book closes the cell's open
// stop and opens the next one at that instant. The first of these that holds is the condition:
//
//   - a fault a person reported: a reported stop, with the fault's code and the stops section's
//     fault reason;
//   - a machine that does not answer (not while it is still unknown at the start): a lost stop,
//     without a reason;
//   - a machine in fault: a fault stop named by the profile's name of the fault, with the
//     reason the stops section maps that name to, or none (a person gives it);
//   - the head of the queue paused for a failed quality check, or running with all its units made
//     at a step with a checklist: a check stop, with the section's check reason; paused for
//     anything else: a paused stop with the pause's reason code, and the reason the section
//     maps it to, or none;
//   - the head running while the machine is in one of its profile's setup phases (a dye bath
//     filling and heating): a setup stop, with the section's setup reason;
//   - the head running (the machine working, or a cell without one): producing, no stop;
//   - the head queued, nothing running (auto_start off, or a cell without a machine): idle with
//     work waiting, without a reason;
//   - an empty queue: no work.
//
// A cell without a machine goes by its queue alone (its operations' start, pause and
// completion, read again only once the book was written since) and by a reported fault. A stop held up by a fault keeps the operation it opened
// with. Stops are recorded whatever the working hours (OEE clips them to the hours). A
// restarted controller reads the cell's open stop ([Cell.Restore]) and goes on with it.
//
// The package imports the order book, the factory model and the device profiles (configs/profiles,
// whose register maps are drivers/modbus's types), and nothing above them (not the API); it calls
// no driver, but reaches machines and printers through the small interfaces it defines
// ([Machine], [LabelPrinter], [TicketPrinter]), which cmd fills with the drivers.
package cells
