// Package printq is the station's durable print queue and the label.print command handler
// (contract sections 5, 6 and 7 step 6). A label job is stored in the agent's bbolt store (through
// agent.Store, in the transaction that creates it), survives restarts and is printed at most once
// unless someone asks for a reprint: a label is a parcel's identity, and two of them is as bad as
// none.
//
// # Jobs and their states
//
// Jobs wait in FIFO order per printer; printers are independent (one goroutine each), and a held
// job is set aside without blocking the jobs behind it. A job is
//
//   - queued: waiting for its printer; after a failure it is retried with exponential backoff
//     (Deps.BackoffMin doubling up to Deps.BackoffMax, no jitter: one station talks to one
//     printer);
//   - sending: committed to disk before the first byte goes to the printer. A job found in this
//     state when Run starts may or may not have printed (the station stopped while sending), so it
//     is never sent again by itself: see "Interrupted jobs";
//   - delivered: the printer took the job but reported a problem right after (printer.Sent: paper
//     out with the job in its buffer). The printer prints it once the problem is fixed (^JZ Y,
//     reprint after error), so it is not sent again: the queue asks the printer's status with
//     backoff and reports label.printed once the printer is ready with an empty buffer;
//   - held: its fate is unknown (interrupted); it waits for Reprint, Cancel, or a new job of the
//     same origin.
//
// When a job is done, a small record (printed or dropped, and why) is kept for Deps.RecordTTL
// (7 days) so that Lookup can answer a workflow that restarted while waiting for a label.
//
// # Events
//
// label.printed {printer, job_id} is appended in the transaction that deletes the job.
// label.failed {printer, job_id, reason} is appended once per failure episode, in the transaction
// that records the failure: the first failed attempt emits it with the printer's reason
// (printer.Reason: offline, paper_out, head_open, ribbon_out, paused, ...); the retries that
// follow emit nothing until the job prints (label.printed) or is dropped. A printer that is not
// open (Deps.Printer returns nil) fails with reason offline, but only once Run has been running
// for 5 s: the station opens its devices as its workflows start. Both events carry the extension
// order_id for jobs of origin "pack:<order_id>". Final failures always emit label.failed, even
// after an earlier one for the same job:
//
//   - invalid (printer.Retryable false: the printer refused the job itself): the job is dropped;
//   - interrupted: see below.
//
// Stopping the station while a job is being retried emits nothing more.
//
// # Interrupted jobs and reprints
//
// A job found in state sending when Run starts is reported as label.failed reason
// "interrupted" and is not printed again automatically:
//
//   - a job of origin "cmd:<command_id>" (label.print) is dropped: the OMS decides, and prints
//     it again by sending a new label.print (label.print has no reprint field, and a command id
//     is never executed twice);
//   - any other job (origin "pack:<order_id>") is held. The packing workflow, told through
//     Outcomes (OK false, Reason "interrupted"), asks the operator, then calls Reprint (the held
//     job goes back to its place in its printer's FIFO), Cancel (the label came out, or the order
//     is gone), or enqueues a new job of the same origin, which replaces the held one in the same
//     transaction. A held job nobody resolves is dropped after Deps.RecordTTL.
//
// A delivered job on a printer that cannot report its status (a Printer without the Status
// method of StatusPrinter) is treated the same way.
//
// # Copies
//
// A job of n copies sends its ZPL n times in one Print: OMS-supplied ZPL (label.print zpl,
// pack.order label_zpl) is printed byte for byte as given (contract section 7 step 6), which
// rules out inserting ^PQ into it; the station's templates are treated the same way. A job holds
// at most MaxJobBytes (all copies).
//
// # label.print
//
// The handler (Register) checks the command, renders a template (Deps.Render; Templates adapts
// devices/printer/label) or checks OMS-supplied ZPL with zpl.Check, and enqueues the job in its own transaction; it never waits for the printer. Its
// command.result (written by the intake) with ok true means "queued": label.printed or
// label.failed with the job's id follow. A command redelivered after a crash between the enqueue
// and its command.result finds its job already queued and is not queued again.
//
// # Shutdown
//
// When Run's context ends, a Print in progress gets Deps.StopGrace to finish before its context
// is cancelled, and its outcome is committed; Run returns after every goroutine it started.
package printq
