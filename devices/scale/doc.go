// Package scale defines what the packing workflow consumes from a weighing scale and the registry
// of scale drivers.
//
// A Scale gives one Reading at a time: a mass in milligrams (units.Mass, so that a scale's 0.1 g
// resolution survives) and the scale's own stable flag. Failures are *Error values with a Code
// from the shared vocabulary (overload, underload, unstable, busy, timeout, parse_error,
// bad_checksum, ...) that match the sentinels below with errors.Is; an overload, underload or
// error reply is never a Reading.
//
// Some scales report stable too early, so a Monitor owns the polling loop of one Scale, runs each
// reading through a stability Detector (N readings within ±d over at least t, combined with the
// scale's flag), reports every reading and every ok/fault/disconnected transition through
// callbacks, and hands the workflow a settled weight (WaitStable) or waits for the parcel to be
// lifted and put back (WaitReweigh).
//
// Drivers live beside this package (mtsics, toledo, cas, hidpos and the simulator scalesim) and
// register themselves from init() with Register; cmd/stationd blank-imports the set. Conversions
// from the scale's unit are exact (integer arithmetic on the decimal digits, exact factors for lb,
// oz, ozt, ct, gr, dwt) and rounded once, half away from zero, to whole milligrams; whole grams
// appear only on the wire (units.Mass.Grams).
package scale
