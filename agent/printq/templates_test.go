package printq

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/stationd/stationd/devices/printer/label"
	"github.com/stationd/stationd/devices/printer/zpl"
)

func TestTemplates(t *testing.T) {
	tmpls, err := label.Templates()
	if err != nil {
		t.Fatal(err)
	}
	render := Templates(tmpls, func(p string) int { return map[string]int{"p2": 300}[p] })
	fields := map[string]string{}
	for k, v := range tmpls["returns"].Examples() {
		fields[k] = fmt.Sprint(v)
	}

	b203, err := render("p1", "returns", fields)
	if err != nil {
		t.Fatal(err)
	}
	if err := zpl.Check("", b203); err != nil {
		t.Errorf("rendered label fails the passthrough check: %v", err)
	}
	b300, err := render("p2", "returns", fields)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(b203, b300) {
		t.Error("p2 (300 dpi) rendered like p1 (203 dpi)")
	}

	if _, err := render("p1", "nope", fields); !errors.Is(err, ErrUnknownTemplate) {
		t.Errorf("unknown template: %v, want ErrUnknownTemplate", err)
	}
	delete(fields, "rma_id")
	_, err = render("p1", "returns", fields)
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "rma_id" {
		t.Errorf("missing field: %v, want a FieldError for rma_id", err)
	}
}
