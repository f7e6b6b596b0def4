package intake

import (
	"slices"
	"strings"
	"testing"
)

// TestJSONLines checks the line of each row and each problem wherever the JSON puts its line
// breaks.
func TestJSONLines(t *testing.T) {
	const o = `{"order_id":"a","sku":"s","quantity":1}`
	tests := []struct {
		name  string
		input string
		want  []int // the line of each row or problem, in order
	}{
		{name: "one line", input: "[" + o + "," + o + "," + o + "]", want: []int{1, 1, 1}},
		{name: "one object a line", input: "[\n" + o + ",\n" + o + "\n]", want: []int{2, 3}},
		{name: "commas first", input: "[\n  " + o + "\n, " + o + "\n, " + o + "\n]", want: []int{2, 3, 4}},
		{name: "brace alone on its line", input: "[\n  {\n    \"order_id\": \"a\",\n    \"sku\": \"s\",\n    \"quantity\": 1\n  },\n  {\n\"order_id\": \"b\", \"sku\": \"s\", \"quantity\": 1}\n]", want: []int{2, 7}},
		{name: "CRLF and blank lines", input: "\r\n\r\n[\r\n\r\n" + o + ",\r\n\r\n" + o + "]\r\n", want: []int{5, 7}},
		{name: "multi-line strings are escaped, so lines come from white space only", input: "[{\"order_id\":\"a\",\"sku\":\"s\",\"quantity\":1,\"notes\":\"x\\ny\\nz\"},\n" + o + "]", want: []int{1, 2}},
		{name: "bad rows too", input: "[\n1,\n\n\"x\",\n" + o + ",\n{}\n]", want: []int{2, 4, 5, 6}},
		{name: "syntax error in a string", input: "[\n" + o + ",\n{\"order_id\": \"a\n\"}]", want: []int{2, 3}},
		{name: "syntax error at the top", input: "\n\n]", want: []int{3}},
		{name: "syntax error in a top-level key", input: "{\n\"orders\": [],\n\n\"x\n\": 1}", want: []int{4}},
		{name: "syntax error after the batch", input: "[" + o + "]\n\n,", want: []int{1, 3}},
		{name: "garbage after a number", input: "[\n" + o + ",\n{\"order_id\":\"a\",\"sku\":\"s\",\"quantity\":1x}]", want: []int{2, 3}},
		// The end is reported at the last line with anything on it.
		{name: "cut short after blank lines", input: "[\n" + o + ",\n\n\n", want: []int{2, 2}},
		// Numbers beyond float64 read by Token, found by FuzzJSON.
		{name: "huge number as the batch", input: "\n1E700", want: []int{2}},
		{name: "huge number in a top-level field", input: "{\"x\": 1e700,\n\"orders\": [" + o + "]}", want: []int{1, 2}},
		{name: "huge number after the batch", input: "[]\n1e700", want: []int{2}},
		{name: "cut short inside a string", input: "[\n" + o + ",\n{\"notes\": \"abc", want: []int{2, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []int
			r, err := NewJSON(strings.NewReader(tt.input))
			if err != nil {
				errs, ok := err.(RowErrors)
				if !ok {
					t.Fatal(err)
				}
				for _, e := range errs {
					got = append(got, e.Line)
				}
			} else {
				b := readAll(t, r)
				if b.fatal != nil {
					t.Fatal(b.fatal)
				}
				got = b.lines
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got lines %v, want %v", got, tt.want)
			}
		})
	}
}

// TestJSONValues checks what JSON adds to the value rules: escapes, strings for numbers, and
// control characters that only JSON can carry.
func TestJSONValues(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  []Row
		errs  []RowError
	}{
		{name: "escaped key", input: `[{"order\u005fid":"a","sku":"s","quantity":1}]`,
			want: []Row{{Line: 1, OrderID: "a", SKU: "s", Quantity: 1}}},
		{name: "quantity string with spaces", input: `[{"order_id":"a","sku":"s","quantity":" 12 "}]`,
			want: []Row{{Line: 1, OrderID: "a", SKU: "s", Quantity: 12}}},
		{name: "quantity as an empty string", input: `[{"order_id":"a","sku":"s","quantity":""}]`,
			errs: []RowError{{1, "quantity", "quantity is missing"}}},
		{name: "quantity zero", input: `[{"order_id":"a","sku":"s","quantity":0}]`,
			errs: []RowError{{1, "quantity", `quantity "0" is not a positive integer`}}},
		{name: "order_id two dots, escaped", input: "[\n{\"order_id\":\"\\u002e.\",\"sku\":\"s\",\"quantity\":1}]",
			errs: []RowError{{2, "order_id", `order_id ".." cannot be an id: it is a path segment that no URL can name; use letters or digits`}}},
		{name: "quantity negative zero", input: `[{"order_id":"a","sku":"s","quantity":-0}]`,
			errs: []RowError{{1, "quantity", `quantity "-0" is not a positive integer`}}},
		{name: "NUL in an order id", input: `[{"order_id":"a\u0000b","sku":"s","quantity":1}]`,
			errs: []RowError{{1, "order_id", `order_id "a\x00b" contains a control character (U+0000)`}}},
		{name: "newline in notes is fine", input: `[{"order_id":"a","sku":"s","quantity":1,"notes":"a\nb"}]`,
			want: []Row{{Line: 1, OrderID: "a", SKU: "s", Quantity: 1, Notes: "a\nb"}}},
		{name: "lone surrogate becomes U+FFFD", input: `[{"order_id":"a","sku":"s","quantity":1,"customer":"\ud800"}]`,
			want: []Row{{Line: 1, OrderID: "a", SKU: "s", Quantity: 1, Customer: "\ufffd"}}},
		{name: "all null", input: `[{"order_id":null,"sku":null,"quantity":null,"customer":null,"priority":null,"due":null,"notes":null}]`,
			errs: []RowError{{1, "order_id", "order_id is missing"}, {1, "sku", "sku is missing"}, {1, "quantity", "quantity is missing"}}},
		{name: "empty object", input: `[{}]`,
			errs: []RowError{{1, "order_id", "order_id is missing"}, {1, "sku", "sku is missing"}, {1, "quantity", "quantity is missing"}}},
		{name: "nested values in unknown fields are skipped", input: `[{"extra":{"a":[1,{"b":"}"}]},"order_id":"a","sku":"s","quantity":1}]`,
			errs: []RowError{{1, "extra", `unknown field "extra"; the fields are order_id, sku, quantity, customer, priority, due, notes`}}},
		{name: "priority as a string", input: `[{"order_id":"a","sku":"s","quantity":1,"priority":"-7"}]`,
			want: []Row{{Line: 1, OrderID: "a", SKU: "s", Quantity: 1, Priority: -7}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewJSON(strings.NewReader(tt.input))
			if err != nil {
				t.Fatal(err)
			}
			b := readAll(t, r)
			checkRows(t, b.rows, tt.want)
			checkErrors(t, b.errs, tt.errs)
		})
	}
}
