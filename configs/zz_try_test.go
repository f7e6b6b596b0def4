package configs

import (
	"fmt"
	"strings"
	"testing"
)

func TestZZTry(t *testing.T) {
	bomb := "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\ncells: *c\n"
	for _, s := range []string{
		"\xff0", "\x18", "site: x\nname: ok\x18\n", "*a", "&AA", "?", "site: tiny\ncells:\n  - id: weave-1\n    capabilities: [w\xffeave]\n",
		bomb,
		strings.Repeat("[", 2000) + strings.Repeat("]", 2000),
		"? [a]\n: b\n",
		"site: tiny\n<<: {name: x}\n",
		"site: tiny\ncells:\n  - id: w\n    capabilities: [weave]\nproducts:\n  - sku: R\n    routing:\n      - {capability: weave, unit_time: 1h}\ndrops:\n  - id: d\n    date: 2027-01-01\n    windows: {R: 99999999999999999999, [x]: 1, R: 2}\n",
		"site: !!binary aGVsbG8=\n",
		"site: tiny\nname: |\n  multi\n  line\n",
		"--- \n...\n",
		"site: tiny\n---\n- [\n",
	} {
		_, err := Parse("f", []byte(s))
		fmt.Printf("%.60q\n   %v\n", s, err)
	}
}
