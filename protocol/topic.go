package protocol

import (
	"fmt"
	"strings"
)

// DefaultPrefix is the topic prefix when the config's mqtt.topic_prefix is empty.
const DefaultPrefix = "wh/v1"

// Topics builds and parses the MQTT topics of one station (contract section 3):
// P/status, P/evt/<type> and P/cmd/<type>, where P is <prefix>/<site>/<station>.
type Topics struct {
	base string // P
}

// NewTopics returns the topics of station at site under prefix (DefaultPrefix when empty). It
// fails when the prefix is not a plain topic (empty level, wildcard, leading '/' or '$', NUL)
// or when site or station break the config's patterns ([A-Za-z0-9_-]{1,32} and {1,64}).
func NewTopics(prefix, site, station string) (Topics, error) {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if err := checkPrefix(prefix); err != nil {
		return Topics{}, err
	}
	if !ValidSite(site) {
		return Topics{}, fmt.Errorf("protocol: site %q: must be 1 to 32 letters, digits, '_' or '-'", site)
	}
	if !ValidStation(station) {
		return Topics{}, fmt.Errorf("protocol: station %q: must be 1 to 64 letters, digits, '_' or '-'", station)
	}
	return Topics{base: prefix + "/" + site + "/" + station}, nil
}

// ValidSite reports whether s is a valid site: [A-Za-z0-9_-]{1,32} (contract section 2).
func ValidSite(s string) bool { return reSite.MatchString(s) }

// ValidStation reports whether s is a valid station: [A-Za-z0-9_-]{1,64} (contract section 2).
func ValidStation(s string) bool { return reStation.MatchString(s) }

func checkPrefix(p string) error {
	switch {
	case strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/"):
		return fmt.Errorf("protocol: topic prefix %q: must not start or end with '/'", p)
	case strings.HasPrefix(p, "$"):
		return fmt.Errorf("protocol: topic prefix %q: must not start with '$' (reserved by brokers)", p)
	case strings.ContainsAny(p, "+#\x00"):
		return fmt.Errorf("protocol: topic prefix %q: must not contain the wildcards '+' or '#', or NUL", p)
	case strings.Contains(p, "//"):
		return fmt.Errorf("protocol: topic prefix %q: must not have an empty level", p)
	}
	return nil
}

// Base returns P, <prefix>/<site>/<station>.
func (t Topics) Base() string { return t.base }

// Status returns P/status: the retained birth and offline messages, and the MQTT will.
func (t Topics) Status() string { return t.base + "/status" }

// Event returns P/evt/<eventType>.
func (t Topics) Event(eventType string) string { return t.base + "/evt/" + eventType }

// Command returns P/cmd/<commandType>.
func (t Topics) Command(commandType string) string { return t.base + "/cmd/" + commandType }

// CommandFilter returns P/cmd/+, the station's one subscription, made before its birth.
func (t Topics) CommandFilter() string { return t.base + "/cmd/+" }

// EventFilter returns P/evt/+, what an OMS subscribes to for every event of the station.
func (t Topics) EventFilter() string { return t.base + "/evt/+" }

// CommandType returns the <type> of a topic P/cmd/<type> of this station, whether or not the
// type is known (ParseCommand answers unknown ones), and false for any other topic.
func (t Topics) CommandType(topic string) (string, bool) {
	return t.last(topic, "/cmd/")
}

// EventType returns the <type> of a topic P/evt/<type> of this station, and false for any
// other topic.
func (t Topics) EventType(topic string) (string, bool) {
	return t.last(topic, "/evt/")
}

func (t Topics) last(topic, mid string) (string, bool) {
	rest, ok := strings.CutPrefix(topic, t.base+mid)
	if !ok || t.base == "" || rest == "" || strings.Contains(rest, "/") {
		return "", false
	}
	return rest, true
}
