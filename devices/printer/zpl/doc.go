// Package zpl writes and reads Zebra Programming Language without touching a printer: a label
// builder whose field data can never turn into commands, the answers to the ~HS and ~HQES status
// queries, and a checker for ZPL supplied by the OMS before it is passed through to a printer.
//
// It does no I/O and keeps no state beyond the value being built, like paho's packets package:
// the printer drivers (devices/printer/zplprinter) and the label templates (devices/printer/label)
// are built on it.
//
// References, cited where the code depends on them: Zebra "ZPL II Programming Guide"
// (P1012728-011 and 45541L-004), sections ^FH (field hexadecimal indicator), ^CI (change
// international font/encoding; 28 = UTF-8), ^BC (Code 128, invocation characters), ^BQ (QR
// Code), ^BX (Data Matrix), ^GB (graphic box), ^FB (field block), ~HS (host status return) and
// ~HQ (host query, ES error status); GS1 General Specifications 5.4 (GS1-128), 7.9 (check digit)
// and figure 5.10.1-2 (element strings of predefined length).
//
// # Units
//
// Positions and sizes given to a Label are millimetres. They become dots with the printer's
// resolution as Zebra counts it (^JM, ^MU): 203 dpi = 8 dots/mm, 300 dpi = 12 dots/mm,
// 600 dpi = 24 dots/mm, rounded to the nearest dot.
//
// # Escaping
//
// Every field a Label writes is opened with ^FH_ and its data passes through [AppendEscaped]:
// ^, ~, the escape character _ itself, control characters and bytes that are not UTF-8 become
// _XX hexadecimal escapes, so nothing in the data can end the field or start a command. Every
// label starts with ^CI28, so UTF-8 text ("Hélène Dupré, Saint-Étienne") prints as written.
package zpl
