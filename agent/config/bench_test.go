package config

import (
	"os"
	"strings"
	"testing"
)

func BenchmarkParseFull(b *testing.B) {
	data, err := os.ReadFile("testdata/full.yaml")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse("full.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseTenMistakes(b *testing.B) {
	data, err := os.ReadFile("testdata/ten-mistakes.yaml")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		Parse("station.yaml", data)
	}
}

// BenchmarkSyntaxErrorLargeFile is the worst case of locating a syntax error: a file of the largest
// size accepted, with the error on its last line.
func BenchmarkSyntaxErrorLargeFile(b *testing.B) {
	data := []byte(base + strings.Repeat("# comment line\n", MaxFileSize/16) + "log: {level: info\n")
	for b.Loop() {
		if _, err := Parse("station.yaml", data); err == nil {
			b.Fatal("no error")
		}
	}
}
