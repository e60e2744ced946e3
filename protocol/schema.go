package protocol

import (
	"embed"
	"io/fs"
)

//go:embed schema/*.json
var schemaFiles embed.FS

// Schemas holds the JSON Schemas (draft 2020-12) of the wire, generated from the same rules as
// the Go validation (see SchemaName): one file per command (cmd.<type>.json) and per event
// (evt.<type>.json), each describing the whole envelope with its data, plus
// envelope.command.json, envelope.event.json and status.json. Each has realistic examples.
var Schemas fs.FS = mustSub(schemaFiles, "schema")

// AsyncAPI is the AsyncAPI 3.0 document of the topic tree, asyncapi.yaml. Its payloads refer to
// the files of Schemas as ./schema/<name>.
//
//go:embed asyncapi.yaml
var AsyncAPI []byte

// CommandSchema returns the name in Schemas of the schema of command type typ: cmd.<typ>.json.
func CommandSchema(typ string) string { return "cmd." + typ + ".json" }

// EventSchema returns the name in Schemas of the schema of event type typ: evt.<typ>.json.
func EventSchema(typ string) string { return "evt." + typ + ".json" }

func mustSub(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic("protocol: embedded schema directory: " + err.Error()) // impossible: dir is a literal
	}
	return sub
}
