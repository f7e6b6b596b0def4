package profiles_test

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cellforge/cellforge/configs"
	"github.com/cellforge/cellforge/configs/profiles"
)

// errorLine is the shape of every line of a profile's error.
var errorLine = regexp.MustCompile(`^fuzz\.yaml:[1-9][0-9]*: \S`)

// FuzzParse feeds Parse any bytes: it must return a profile the driver accepts, or a non-empty
// configs.Errors whose every line names the file and a line, never both, never neither.
func FuzzParse(f *testing.F) {
	seeds, err := filepath.Glob("../testdata/profiles/*.yaml")
	if err != nil {
		f.Fatal(err)
	}
	builtin, err := filepath.Glob("*.yaml")
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range append(seeds, builtin...) {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := profiles.Parse("fuzz.yaml", data)
		if err != nil {
			if p != nil {
				t.Error("Parse returned a profile with its error")
			}
			var errs configs.Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("error %T is not a non-empty configs.Errors: %v", err, err)
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				if !errorLine.MatchString(line) {
					t.Errorf("malformed error line %q", line)
				}
			}
			return
		}
		if p == nil {
			t.Fatal("Parse returned neither a profile nor an error")
		}
		if err := p.Modbus.Validate(); err != nil {
			t.Errorf("accepted a profile the driver refuses: %v\ninput:\n%s", err, data)
		}
	})
}
