package printq

import (
	"errors"
	"fmt"

	"github.com/stationd/stationd/devices/printer/label"
)

// Templates adapts the station's label templates (label.Templates(), or label.Load of a
// directory) to Deps.Render. dpi returns a printer's resolution (its device entry's dpi option);
// nil, or a result of 0, means 203. An unknown template gives ErrUnknownTemplate, a
// *label.Error naming fields (a required field missing, a value a barcode cannot carry) a
// *FieldError for the first of them; other errors pass through (label.print's internal).
func Templates(templates map[string]*label.Template, dpi func(printer string) int) func(printer, template string, fields map[string]string) ([]byte, error) {
	return func(printer, template string, fields map[string]string) ([]byte, error) {
		t := templates[template]
		if t == nil {
			return nil, fmt.Errorf("%w %q", ErrUnknownTemplate, template)
		}
		m := make(map[string]any, len(fields))
		for k, v := range fields {
			m[k] = v
		}
		res := 203
		if dpi != nil {
			if n := dpi(printer); n > 0 {
				res = n
			}
		}
		b, err := label.Render(t, m, res)
		var le *label.Error
		if errors.As(err, &le) && len(le.Fields) > 0 {
			return nil, &FieldError{Field: le.Fields[0], Msg: le.Msg}
		}
		if err != nil {
			return nil, fmt.Errorf("template %s for %s at %d dpi: %w", template, printer, res, err)
		}
		return b, nil
	}
}
