package firmwareconfig

import (
	"embed"
	"io/fs"
)

// The packing workflow's data (agent/packing): carrier rules and example box catalogs. Kept in
// this file, apart from the label and printer data, so that each owner edits their own file.
//
//go:embed carriers/*.json boxes/*.yaml
var packFiles embed.FS

// Carriers returns the carrier rules shipped with the station, one JSON file per carrier named
// by its key as pack.order's carrier gives it (chronopost.json), at the root of the FS. The
// format and the sources are described in carriers/README.md; agent/packing/carrier reads them.
func Carriers() fs.FS { return packSub("carriers") }

// Boxes returns the example box catalogs, YAML files in the shape of a station.yaml's
// pack.boxes, at the root of the FS.
func Boxes() fs.FS { return packSub("boxes") }

func packSub(dir string) fs.FS {
	f, err := fs.Sub(packFiles, dir)
	if err != nil {
		panic(err) // dir is a constant embedded above
	}
	return f
}
