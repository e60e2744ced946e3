package picking

import (
	"github.com/stationd/stationd/devices/lights"
	"github.com/stationd/stationd/protocol"
)

// lightSet drives one location directly (light.set).
func (m *machine) lightSet(cmd protocol.LightSet) *protocol.Error {
	loc, ok := m.cfg().Location(cmd.Location)
	if !ok {
		return protocol.Errorf(protocol.CodeNotFound, "data.location: %q is not a location of this station (config locations)", cmd.Location)
	}
	c, err := lights.ParseColor(cmd.Color)
	if err != nil {
		return protocol.Errorf(protocol.CodeInvalid, "data.color: %v", err)
	}
	if what := m.inUse(loc.ID); what != "" {
		return protocol.Errorf(protocol.CodeBusy, "location %q is the %s: light.set waits until that work is done", loc.ID, what)
	}
	d := direct{Color: c.String(), Blink: cmd.Blink && c != lights.Off, Text: cmd.Display}
	if loc.Display < 0 {
		d.Text = "" // "display, when it has one"
	}
	ch := &change{}
	off := c == lights.Off && d.Text == ""
	if off {
		ch.del(bucketLights, []byte(loc.ID))
	} else {
		ch.put(bucketLights, []byte(loc.ID), d)
	}
	ch.apply = func() {
		if off {
			delete(m.st.direct, loc.ID)
		} else {
			m.st.direct[loc.ID] = d
		}
	}
	if err := m.commit(ch); err != nil {
		return storeError(err)
	}
	m.log.Debug("light.set", "location", loc.ID, "color", d.Color, "blink", d.Blink, "display", d.Text)
	return nil
}
