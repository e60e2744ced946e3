// Package picking is the station's pick-to-light and put-wall workflow, and the light.set command
// (issue #7): it lights the configured locations (config locations) for the OMS's pick batches
// and put walls, turns button presses and item scans into the contract's events (section 6:
// pick.confirmed, pick.short, pick.completed, put.confirmed, put.order_complete), and keeps its
// state in the outbox's store, so that a restart or a lights device that comes back relights
// everything.
//
// One goroutine, Run, owns the state machine (STYLE.md "Lifecycles"): it selects over the
// commands the intake hands it (pick.tasks, pick.cancel, put.wall, light.set), the button
// presses, the scans and a relight ticker. Every state change is written with the events it
// causes in one store Update, before the lights change; an Update that fails changes nothing (a
// press or scan that could not be stored is logged and must be repeated). A command is answered
// after its lights are written.
//
// Stored state (buckets of the outbox's store): picking.batches (open batches and which tasks
// are done), picking.walls (open walls, units put and units lit per line), picking.lights
// (light.set), picking.done (finished batches and wall orders, kept for storage.command_ttl).
//
// # Pick to light
//
// pick.tasks opens a batch. Every task's location must be in the config's locations and have a
// button (else the command is invalid, naming data.tasks[i].location). The location lights in the
// task's colour and its display, when it has one, shows the quantity. A location shows one task
// at a time: the oldest open batch's first open task there (two tasks of a batch on one location
// light one after the other).
//
//   - Short press: the task is picked in full: pick.confirmed with qty_picked = qty.
//   - Long press (pick.long_press) on a location with a display: the location blinks and shows
//     qty-1; each short press counts down by one (after 0 it shows qty again, the way back to a
//     full pick); a second long press confirms the count shown: pick.short with qty_picked = the
//     count, or pick.confirmed when the count is qty. The count is not stored: after a restart
//     the location shows the full quantity again.
//   - Long press on a location without a display: pick.short with qty_picked 0 (the location
//     was empty).
//
// After the last task of a batch, pick.completed follows in the same transaction and the batch
// is forgotten. pick.cancel turns the batch's lights off; an unknown batch is not_found.
//
// Colours: a task's color, else the batch's colour, taken from the palette green, blue, yellow,
// cyan, magenta, white: the first that no other open batch shows and that no other batch's open
// task shows on one of this batch's locations; failing that, the first that collides with no such
// task. Several pickers work the same shelf, each following a colour; red is left for alerts. A
// task whose location already has an open task of another batch in the same colour is refused
// with busy; in a different colour it is accepted and waits for its turn there.
//
// Idempotency by batch_id: pick.tasks for an open batch with the same content is ok and changes
// nothing; with other content it is a conflict. A completed batch is remembered for
// storage.command_ttl: the same content again is ok (nothing relights), other content a
// conflict. A cancelled batch is remembered too: pick.cancel again is ok, and pick.tasks with
// its batch_id opens it anew.
//
// # Put wall
//
// put.wall loads orders into slots; a slot is a location id with a button. A slot holds one
// order at a time across every wall: an order for a slot still held by another order (even one
// that is complete and waits to be emptied) or lit by a pick task is refused with busy.
// put.wall for a wall that is open adds its new orders (a wall is refilled as slots are
// emptied); an order already there with the same content is ok, with other content a conflict;
// an order already completed and emptied is remembered like a batch.
//
// A scanned item (GTIN in any form, normalised to GTIN-14, or the SKU as scanned) goes to the
// first order, oldest wall first, with a line that still needs it; its slot lights green with the
// units to put on its display. Further scans of the item add to that slot until its line is
// covered. A press on the slot confirms every unit lit there: put.confirmed per line. When the
// order has all its units, put.order_complete follows in the same transaction and the slot
// blinks green; the next press says the slot was emptied: it goes off and the slot is free.
//
// An item that no slot needs is reported with the extension event put.unexpected
// {"device","code","gtin"?,"reason"}, reason not_on_wall (no order of an open wall has it),
// over_quantity (every order with it has all its units put or lit) or the scan's decoding error
// (bad_check_digit, ...); and pack.station_light, when configured, blinks red for 3 s. Scans
// are ignored while no wall is open. Any press on a slot confirms: a long press is a short one.
//
// # light.set
//
// light.set {location, color, blink?, display?} drives one location directly: color off, a
// name or #rrggbb (lights.ParseColor; the command's schema in package protocol admits only the
// contract's names so far); display is shown when the location has a display and ignored
// otherwise. An unknown location is not_found, a bad colour invalid, a location lit by
// an open pick task or put slot busy. The setting is stored (a restart shows it again) until
// light.set turns it off, or a pick batch or put wall takes the location.
//
// # Lights that are not open
//
// The workflow asks the LightsSource for each device on every change and on a one-second
// ticker. While a device is not open its locations keep their state; when it is open again (a
// new handle: the supervisor reopened it, dark), everything it should show is written again.
// A failed write is logged: the driver keeps the wanted state and writes it again itself, and a
// device that fails is reopened by the supervisor, which relights it.
package picking
