package provenance

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

// TestNumber checks the ECMAScript form of doubles against RFC 8785's Appendix B, each double
// given by its IEEE 754 bits.
func TestNumber(t *testing.T) {
	tests := []struct {
		name, bits, want string
	}{
		{"zero", "0000000000000000", "0"},
		{"minus zero", "8000000000000000", "0"},
		{"min pos number", "0000000000000001", "5e-324"},
		{"min neg number", "8000000000000001", "-5e-324"},
		{"max pos number", "7fefffffffffffff", "1.7976931348623157e+308"},
		{"max neg number", "ffefffffffffffff", "-1.7976931348623157e+308"},
		{"max pos int", "4340000000000000", "9007199254740992"},
		{"max neg int", "c340000000000000", "-9007199254740992"},
		{"about 2^68", "4430000000000000", "295147905179352830000"},
		{"below 1e23", "44b52d02c7e14af5", "9.999999999999997e+22"},
		{"1e23", "44b52d02c7e14af6", "1e+23"},
		{"above 1e23", "44b52d02c7e14af7", "1.0000000000000001e+23"},
		{"below 1e21", "444b1ae4d6e2ef4e", "999999999999999700000"},
		{"just below 1e21", "444b1ae4d6e2ef4f", "999999999999999900000"},
		{"1e21", "444b1ae4d6e2ef50", "1e+21"},
		{"below 1e-6", "3eb0c6f7a0b5ed8c", "9.999999999999997e-7"},
		{"1e-6", "3eb0c6f7a0b5ed8d", "0.000001"},
		{"thirds 3", "41b3de4355555553", "333333333.3333332"},
		{"thirds 4", "41b3de4355555554", "333333333.33333325"},
		{"thirds 5", "41b3de4355555555", "333333333.3333333"},
		{"thirds 6", "41b3de4355555556", "333333333.3333334"},
		{"thirds 7", "41b3de4355555557", "333333333.33333343"},
		{"small negative", "becbf647612f3696", "-0.0000033333333333333333"},
		{"large fraction", "43143ff3c1cb0959", "1424953923781206.2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := hex.DecodeString(tt.bits)
			if err != nil {
				t.Fatal(err)
			}
			f := math.Float64frombits(binary.BigEndian.Uint64(raw))
			got, err := appendNumber(nil, f)
			if err != nil || string(got) != tt.want {
				t.Fatalf("appendNumber(%s) = %s, %v; want %s", tt.bits, got, err, tt.want)
			}
		})
	}
	for _, bits := range []uint64{0x7fffffffffffffff, 0x7ff0000000000000, 0xfff0000000000000} {
		if got, err := appendNumber(nil, math.Float64frombits(bits)); err == nil {
			t.Errorf("appendNumber(%016x) = %s, want an error: NaN and infinities have no JSON form", bits, got)
		}
	}
}

// TestCanonicalize checks RFC 8785's own examples (section 3.2.2's values, section 3.2.3's
// sorting) and what a signature depends on: layout and escapes do not matter, values do.
func TestCanonicalize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{
			"RFC 8785 section 3.2.2",
			`{
  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}`,
			`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`,
		},
		{
			"RFC 8785 section 3.2.3 sorting",
			`{
  "\u20ac": "Euro Sign",
  "\r": "Carriage Return",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "1": "One",
  "\ud83d\ude00": "Emoji: Grinning Face",
  "\u0080": "Control",
  "\u00f6": "Latin Small Letter O With Diaeresis"
}`,
			"{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\",\"ö\":\"Latin Small Letter O With Diaeresis\"," +
				"\"€\":\"Euro Sign\",\"😀\":\"Emoji: Grinning Face\",\"\uFB33\":\"Hebrew Letter Dalet With Dagesh\"}",
		},
		{"nested objects sorted, arrays kept", ` { "b" : [ 3 , {"y":1,"x":2} ] , "a" : {} } `, `{"a":{},"b":[3,{"x":2,"y":1}]}`},
		{"control characters", `"\u0000\u001f\b\f\t\u007f\u2028"`, "\"\\u0000\\u001f\\b\\f\\t\u007f\u2028\""},
		{"escaped and literal the same", `["\u00e9", "é", "\/"]`, `["é","é","/"]`},
		{"integers and exponents", `[-0, 0.0, 1e0, -1.5E+2, 100e-2, 1234567890123456789]`, `[0,0,1,-150,1,1234567890123456800]`},
		{"empty containers", `[[],{},""]`, `[[],{},""]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Canonicalize([]byte(tt.in))
			if err != nil || string(got) != tt.want {
				t.Fatalf("Canonicalize = %s, %v\nwant %s", got, err, tt.want)
			}
			again, err := Canonicalize(got)
			if err != nil || string(again) != string(got) {
				t.Fatalf("canonical form is not canonical again: %s, %v", again, err)
			}
		})
	}
}

// TestCanonicalizeRefuses checks that what is not I-JSON is refused with the line and column
// where it goes wrong.
func TestCanonicalizeRefuses(t *testing.T) {
	tests := []struct {
		name, in   string
		line, col  int
		msgHasText string
	}{
		{"truncated object", "{\n  \"a\": [1,", 2, 11, "unexpected end of input"},
		{"trailing comma", `{"a":1,}`, 1, 8, "expecting a member name"},
		{"missing colon", `{"a" 1}`, 1, 6, "expecting ':'"},
		{"duplicate key", "{\"a\":1,\n \"a\":2}", 2, 2, `member "a" appears twice`},
		{"same key escaped", `{"a":1,"\u0061":2}`, 1, 8, `member "a" appears twice`},
		{"lone high surrogate", `"\ud800x"`, 1, 2, "surrogate"},
		{"lone low surrogate", `"\udc00"`, 1, 2, "surrogate"},
		{"invalid UTF-8", "\"a\xff\"", 1, 3, "not UTF-8"},
		{"raw control character", "\"a\tb\"", 1, 3, "must be escaped"},
		{"number out of range", `[1e400]`, 1, 2, "out of the range of a double"},
		{"leading zero", `01`, 1, 2, "after the document"},
		{"bare dot", `1.`, 1, 3, "expecting a digit after '.'"},
		{"unknown escape", `"\x"`, 1, 2, `unknown escape \x`},
		{"bad hex", `"\u12g4"`, 1, 4, "four hex digits"},
		{"two documents", `{} {}`, 1, 4, "after the document"},
		{"too deep", strings.Repeat("[", maxDepth+1), 1, maxDepth + 1, "nested deeper"},
		{"too many values", "[" + strings.Repeat("0,", maxValues) + "0]", 1, 2 * maxValues, "more than 524288 values"},
		{"empty", ``, 1, 1, "expecting a value"},
		{"byte order mark", "\ufeff{}", 1, 1, "expecting a value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Canonicalize([]byte(tt.in))
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Canonicalize(%.80q) = %v, want a SyntaxError", tt.in, err)
			}
			if se.Line != tt.line || se.Column != tt.col || !strings.Contains(se.Msg, tt.msgHasText) {
				t.Fatalf("Canonicalize(%.80q) = %v, want line %d, column %d: …%s…", tt.in, err, tt.line, tt.col, tt.msgHasText)
			}
		})
	}
}

// TestCompareUTF16 checks the one place where UTF-16 order is not code point order: a character
// above U+FFFF sorts before one in U+E000-U+FFFF.
func TestCompareUTF16(t *testing.T) {
	tests := []struct {
		name, a, b string
		sign       int
	}{
		{"ascii", "a", "b", -1},
		{"prefix first", "ab", "abc", -1},
		{"equal", "é", "é", 0},
		{"emoji before private use", "\U0001F600", "\uE000", -1},
		{"emoji before U+FB33", "\U0001F600", "\uFB33", -1},
		{"emoji after U+D7FF", "\U0001F600", "\uD7FF", 1},
		{"two astral", "\U00010000", "\U0001F600", -1},
		{"astral low surrogates decide", "\U0001F600", "\U0001F601", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := compareUTF16(tt.a, tt.b)
			if sign(got) != tt.sign || sign(compareUTF16(tt.b, tt.a)) != -tt.sign {
				t.Fatalf("compareUTF16(%q, %q) = %d, want sign %d", tt.a, tt.b, got, tt.sign)
			}
		})
	}
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

// TestCanonicalizeManyMembers checks duplicates among many members, which are found by a map
// rather than by a search of the members before.
func TestCanonicalizeManyMembers(t *testing.T) {
	var b strings.Builder
	b.WriteString("{")
	for i := range 1000 {
		fmt.Fprintf(&b, `"k%d":%d,`, i, i)
	}
	unique := b.String()[:b.Len()-1] + "}"
	if _, err := Canonicalize([]byte(unique)); err != nil {
		t.Fatal(err)
	}
	for _, dup := range []int{3, 500, 999} {
		doc := b.String() + fmt.Sprintf(`"k%d":0}`, dup)
		_, err := Canonicalize([]byte(doc))
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf(`member "k%d" appears twice`, dup)) {
			t.Fatalf("duplicate k%d: %v", dup, err)
		}
	}
}
