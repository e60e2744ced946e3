package printertest

import (
	"bytes"
	"testing"
	"time"
)

// TestFeedSplit: the same stream fed whole and one byte at a time gives the same formats,
// commands and answers (serial lines and TCP deliver it in pieces).
func TestFeedSplit(t *testing.T) {
	stream := []byte("~HS^XA^MD5^XZ\n^XA^FO1,1^FDa^FS^XZ~HQES^XA^FDcut~JX^XA^FDb^FS^XZ")
	whole := New()
	a := whole.feed(stream, time.Now())
	split := New()
	var b []byte
	for i := range stream {
		b = append(b, split.feed(stream[i:i+1], time.Now())...)
	}
	if !bytes.Equal(a, b) {
		t.Errorf("answers differ:\n%q\n%q", a, b)
	}
	for _, p := range []*Printer{whole, split} {
		var got []string
		for _, f := range p.Formats() {
			got = append(got, f.String())
		}
		if want := []string{"^XA^MD5^XZ", "^XA^FO1,1^FDa^FS^XZ", "^XA^FDb^FS^XZ"}; !equal(got, want) {
			t.Errorf("formats %q, want %q", got, want)
		}
		if cmds := p.Commands(); !equal(cmds, []string{"~HS", "~HQES", "~JX"}) {
			t.Errorf("commands %q", cmds)
		}
		if printed, held := p.Printed(); printed != 2 || held != 0 {
			t.Errorf("printed %d held %d", printed, held)
		}
	}
}

func TestHeldUntilReload(t *testing.T) {
	p := New()
	p.PaperOutAfter(1)
	p.feed([]byte("^XA^FDa^FS^XZ^XA^FDb^FS^XZ"), time.Now())
	if printed, held := p.Printed(); printed != 1 || held != 1 {
		t.Fatalf("printed %d held %d, want 1 1", printed, held)
	}
	if !bytes.Contains(p.feed([]byte("~HS"), time.Now()), []byte("\x02030,1,0,1218,001,")) {
		t.Error("~HS does not report paper out with one format held")
	}
	p.Reload()
	if printed, held := p.Printed(); printed != 2 || held != 0 {
		t.Errorf("after reload: printed %d held %d, want 2 0", printed, held)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
