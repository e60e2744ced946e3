package config

import (
	"strconv"
	"strings"
)

// Problem is one thing wrong with a config file.
type Problem struct {
	File string // as given to Load or Parse
	Line int    // from 1; 0 when the problem concerns the whole file
	Path string // the key: "devices[1].baud" (list indexes from 0); "" for a syntax error
	Msg  string // what is wrong and what is allowed
}

// String formats p as "station.yaml:24: devices[1].baud: must be one of ...".
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		b.WriteString(":")
		b.WriteString(strconv.Itoa(p.Line))
	}
	b.WriteString(": ")
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Errors lists every problem of a config file, in line order. Parse and Load return it.
type Errors []Problem

// Error returns one problem a line.
func (e Errors) Error() string {
	lines := make([]string, len(e))
	for i, p := range e {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}
