// Package firmwareconfig embeds the data the station ships with and that is not code: label
// templates (labels/*.yaml, rendered by devices/printer/label) and printer profiles
// (printers/*.yaml, named by a zpl printer's profile option). Keeping them as data lets a site
// read and review them without reading Go.
package firmwareconfig

import (
	"embed"
	"io/fs"
)

//go:embed labels/*.yaml printers/*.yaml
var files embed.FS

// Labels returns the label templates, one YAML file per template, at the root of the FS.
func Labels() fs.FS { return sub("labels") }

// Printers returns the printer profiles, one YAML file per profile, at the root of the FS.
func Printers() fs.FS { return sub("printers") }

func sub(dir string) fs.FS {
	f, err := fs.Sub(files, dir)
	if err != nil {
		panic(err) // dir is a constant embedded above
	}
	return f
}
