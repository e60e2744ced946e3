package scanerr

import (
	"errors"
	"fmt"
	"testing"
)

func TestKinds(t *testing.T) {
	err := fmt.Errorf("scanner1: %w", &Error{Kind: BadDate, AI: "17", Detail: "month 13 out of range"})
	if !errors.Is(err, BadDate) || errors.Is(err, BadLength) {
		t.Error("errors.Is on the kind")
	}
	if KindOf(err) != BadDate || KindOf(nil) != "" || KindOf(errors.New("x")) != "" || KindOf(NotGS1) != NotGS1 {
		t.Error("KindOf")
	}
	if s := err.Error(); s != "scanner1: bad_date in (17): month 13 out of range" {
		t.Errorf("message %q", s)
	}
	if s := (&Error{Kind: Empty}).Error(); s != "empty" {
		t.Errorf("message %q", s)
	}
}
