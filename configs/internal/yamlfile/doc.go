// Package yamlfile is the strict YAML decoding that the factory configuration (package configs)
// and the device profiles (package configs/profiles) share: one YAML document whose mappings
// hold known keys only, each once, with no aliases or merge keys; typed values that keep the
// line they were written at; and every problem collected as an Error naming the file, the line,
// the object and the field, so that a file is reported whole in one pass.
//
// It knows no section of either file. It imports the standard library and the YAML decoder only.
package yamlfile
