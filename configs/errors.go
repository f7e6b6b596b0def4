package configs

import "github.com/cellforge/cellforge/configs/internal/yamlfile"

// Error is one problem found in a configuration. Its message reads
//
//	<file>:<line>: <object>: <field>: <reason>
//
// for example `configs/demo.yaml:42: cell "dye-1": device "vat-a": kind: unknown kind "vat"`.
// Object and Field are left out of the message when empty (a top-level field has no object; a
// problem with a whole object, such as an unknown key, has no field).
type Error = yamlfile.Error

// Errors is every problem found in a configuration, in file order. Parse returns it as its error;
// use errors.As to get it back, or to get the first Error.
type Errors = yamlfile.Errors

// decoder walks the YAML node tree of a factory into raw values and collects every error on the
// way; the strict YAML decoding is yamlfile's.
type decoder struct {
	yamlfile.Decoder
	// profiles is the catalogue of device profiles the devices may name.
	profiles Profiles
}

// value, mapping and entry are yamlfile's, named briefly for the many decoders of this package.
type (
	value[T any] = yamlfile.Value[T]
	mapping      = yamlfile.Mapping
	entry        = yamlfile.Entry
)
