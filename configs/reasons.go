package configs

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/cellforge/cellforge/configs/internal/yamlfile"
)

// Reasons are the reasons the floor picks from when it pauses an operation, scraps units or
// reports a fault, so that reports can be counted by reason instead of read as free text. A
// list the file leaves out is the default list of [DefaultReasons].
type Reasons struct {
	Pause, Scrap, Fault []Reason
}

// Reason is one entry of a reason list: the code stored and counted, and the label people read.
type Reason struct {
	// Code is 1 to 32 of a-z, 0-9 and '-', unique within its list.
	Code  string
	Label string
}

// DefaultReasons returns the reason lists a factory gets when its file names none. Each call
// returns fresh slices.
func DefaultReasons() Reasons {
	return Reasons{
		Pause: []Reason{
			{"break", "Break"},
			{"material", "Waiting for material"},
			{"adjust", "Machine adjustment"},
			{"shift-end", "End of shift"},
			{"other", "Other"},
		},
		Scrap: []Reason{
			{"uneven-dye", "Uneven dye"},
			{"weave-fault", "Weaving fault"},
			{"stain", "Stain or soiling"},
			{"size", "Out of size"},
			{"damage", "Damaged in handling"},
			{"other", "Other"},
		},
		Fault: []Reason{
			{"jam", "Jam or tangle"},
			{"yarn-break", "Yarn or thread break"},
			{"heater", "Heater or temperature"},
			{"leak", "Leak"},
			{"sensor", "Sensor or counter"},
			{"power", "Power"},
			{"other", "Other"},
		},
	}
}

// Find returns the reason of list with the given code, for example
// f.Reasons.Find(f.Reasons.Fault, "jam").
func (r Reasons) Find(list []Reason, code string) (Reason, bool) {
	i := slices.IndexFunc(list, func(x Reason) bool { return x.Code == code })
	if i < 0 {
		return Reason{}, false
	}
	return list[i], true
}

// Codes returns the codes of a reason list, in order, for messages that list the valid ones.
func Codes(list []Reason) []string {
	out := make([]string, len(list))
	for i, r := range list {
		out[i] = r.Code
	}
	return out
}

// Limits of reason lists.
const (
	maxReasonCode   = 32
	maxReasons      = 100
	reasonCodeRule  = "want 1 to 32 of a-z, 0-9, '-'"
	maxInstructions = 2000
)

// reasons decodes and checks the optional reasons section; every list it leaves out is nil
// (defaults fills them in).
func (d *decoder) reasons(m *mapping, key string) value[*Reasons] {
	e, ok := m.Entries[key]
	if !ok || yamlfile.IsNull(e.Val) {
		return value[*Reasons]{}
	}
	v := value[*Reasons]{Line: e.Key.Line, V: &Reasons{}}
	const object = "reasons"
	rm, ok := d.Mapping(e.Val, object, "", "pause", "scrap", "fault")
	if !ok {
		v.Bad = true
		return v
	}
	for _, l := range []struct {
		key  string
		list *[]Reason
	}{{"pause", &v.V.Pause}, {"scrap", &v.V.Scrap}, {"fault", &v.V.Fault}} {
		*l.list = d.reasonList(rm, l.key)
	}
	return v
}

// reasonList decodes and checks one list of reasons; nil when the key is absent.
func (d *decoder) reasonList(m *mapping, key string) []Reason {
	e, present := m.Entries[key]
	if !present {
		return nil
	}
	const object = "reasons"
	if e.Val.Kind != yaml.SequenceNode || len(e.Val.Content) == 0 {
		if e.Val.Kind == yaml.SequenceNode || yamlfile.IsNull(e.Val) {
			d.Add(e.Key.Line, object, key, "must list at least one reason (leave %s out for the default list)", key)
		} else {
			d.Add(e.Key.Line, object, key, "expected a list of {code, label}, got %s", yamlfile.Describe(e.Val))
		}
		return nil
	}
	if n := len(e.Val.Content); n > maxReasons {
		d.Add(e.Key.Line, object, key, "lists %d reasons, at most %d are allowed", n, maxReasons)
		return nil
	}
	var list []Reason
	first := map[string]int{}
	for i, n := range e.Val.Content {
		item := object + ": " + yamlfile.ObjectName(key+" reason", yamlfile.Peek(n, "code"), i)
		im, ok := d.Mapping(n, item, "", "code", "label")
		if !ok {
			continue
		}
		code, label := d.Str(im, "code"), d.Str(im, "label")
		if d.Required(code, n.Line, item, "code") {
			if !isReasonCode(code.V) {
				d.Add(code.Line, item, "code", "invalid code %s (%s)", yamlfile.Quote(code.V), reasonCodeRule)
			} else {
				d.Unique(first, code, object, key, "duplicate code %s (first at line %d)")
			}
		}
		if d.Required(label, n.Line, item, "label") {
			d.Text(label, item, "label", maxNameRunes)
		}
		list = append(list, Reason{Code: code.V, Label: label.V})
	}
	return list
}

// isReasonCode reports whether s matches ^[a-z0-9-]{1,32}$.
func isReasonCode(s string) bool {
	code := func(c byte) bool { return yamlfile.IsLower(c) || yamlfile.IsDigit(c) || c == '-' }
	return yamlfile.Matches(s, maxReasonCode, code, code)
}

// instructions checks a step's instructions: free text for the maker, on several lines if need
// be, but without other control characters.
func (d *decoder) instructions(v value[string], object string) {
	if !v.Set() || v.Bad {
		return
	}
	if n := utf8.RuneCountInString(v.V); n > maxInstructions {
		d.Add(v.Line, object, "instructions", "must be at most %d characters (got %d)", maxInstructions, n)
	}
	if strings.IndexFunc(v.V, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }) >= 0 {
		d.Add(v.Line, object, "instructions", "must not contain control characters other than line breaks and tabs")
	}
}

// withDefaults fills in the lists the file left out.
func (r *Reasons) withDefaults() Reasons {
	def := DefaultReasons()
	if r == nil {
		return def
	}
	out := *r
	if out.Pause == nil {
		out.Pause = def.Pause
	}
	if out.Scrap == nil {
		out.Scrap = def.Scrap
	}
	if out.Fault == nil {
		out.Fault = def.Fault
	}
	return out
}
