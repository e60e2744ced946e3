package lights

import (
	"embed"
	"io/fs"
	"sort"
	"strings"
)

// Profiles holds the example profiles, one YAML file each.
//
//go:embed *.yaml
var Profiles embed.FS

// Names returns the profile file names, sorted.
func Names() []string {
	entries, _ := fs.ReadDir(Profiles, ".")
	var n []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".yaml") {
			n = append(n, e.Name())
		}
	}
	sort.Strings(n)
	return n
}
