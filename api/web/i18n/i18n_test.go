package i18n

import (
	"strings"
	"testing"
)

func TestParseRefusesBadCatalogues(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"syntax", "{\n  \"language\": \"pt\",\n  \"name\": \"Português\" \"plural\": \"one\"\n}", "x.json:3:"},
		{"unknown field", `{"language": "pt", "name": "P", "plural": "one", "extra": 1}`, `unknown field "extra"`},
		{"no language", `{"name": "P", "plural": "one"}`, "field language: missing"},
		{"source language", `{"language": "en", "name": "E", "plural": "one"}`, "is the source language"},
		{"no name", `{"language": "pt", "plural": "one"}`, "field name: missing"},
		{"unknown plural", `{"language": "pt", "name": "P", "plural": "few"}`, `field plural: "few" is not a plural rule: want one of "one", "zero-one"`},
		{"empty translation", "{\"language\": \"pt\", \"name\": \"P\", \"plural\": \"one\", \"messages\": {\n\"Start\": \"\"}}", `x.json:2: message "Start": empty translation`},
		{"counted without one", `{"language": "pt", "name": "P", "plural": "one", "messages": {"%d unit": {"other": "%d unidades"}}}`, `needs both "one" and "other"`},
		{"counted with an unknown form", `{"language": "pt", "name": "P", "plural": "one", "messages": {"%d unit": {"one": "a", "other": "b", "few": "c"}}}`, `unknown field "few"`},
		{"two values", `{"language": "pt", "name": "P", "plural": "one"} {}`, "more than one JSON value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("x.json", []byte(tt.text))
			if err == nil {
				t.Fatalf("Parse accepted %s", tt.text)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
		})
	}
}

func TestTranslate(t *testing.T) {
	l, err := Parse("x.json", []byte(`{"language": "pt", "name": "Português", "plural": "one", "messages": {
		"Start": "Iniciar",
		"Step %d: %s": "Passo %d: %s",
		"%d unit": {"one": "%d unidade", "other": "%d unidades"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	c := &Catalogue{langs: []*Lang{{Tag: Source, Name: "English", plural: pluralRules["one"]}, l}}
	en, _ := c.Lang("en")
	tests := []struct {
		name      string
		got, want string
	}{
		{"plain", l.T("Start"), "Iniciar"},
		{"format", l.T("Step %d: %s", 2, "Tingir"), "Passo 2: Tingir"},
		{"missing falls back to English", l.T("Pause"), "Pause"},
		{"a percent without args is kept", l.T("100%"), "100%"},
		{"counted one", l.N("%d unit", "%d units", 1, 1), "1 unidade"},
		{"counted other", l.N("%d unit", "%d units", 3, 3), "3 unidades"},
		{"counted zero", l.N("%d unit", "%d units", 0, 0), "0 unidades"},
		{"english one", en.N("%d unit", "%d units", 1, 1), "1 unit"},
		{"english other", en.N("%d unit", "%d units", 0, 0), "0 units"},
		{"english plain", en.T("Step %d: %s", 1, "Weave"), "Step 1: Weave"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
	if got := l.Messages([]string{"Start", "Pause"}); got["Start"] != "Iniciar" || got["Pause"] != "Pause" {
		t.Errorf("Messages = %v", got)
	}
}

func TestChoose(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, chosen, studio, accept, want string
	}{
		{"nothing", "", "", "", "en"},
		{"the device's choice first", "pt", "en", "en-GB,en;q=0.9", "pt"},
		{"a choice the pages do not speak", "xx", "", "", "en"},
		{"the studio's language before the browser's", "", "pt", "en-GB", "pt"},
		{"the device's choice before the studio's", "en", "pt", "", "en"},
		{"the browser's language", "", "", "pt-BR,pt;q=0.9,en;q=0.8", "pt"},
		{"by preference", "", "", "de;q=0.9,en;q=0.5,pt;q=0.7", "pt"},
		{"not wanted", "", "", "pt;q=0,fr", "en"},
		{"region of a choice", "PT-pt", "", "", "pt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.Choose(tt.chosen, tt.studio, tt.accept).Tag; got != tt.want {
				t.Errorf("Choose(%q, %q, %q) = %s, want %s", tt.chosen, tt.studio, tt.accept, got, tt.want)
			}
		})
	}
}

func TestEmbeddedCataloguesLoad(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Langs()) < 2 {
		t.Fatalf("languages %d, want English and at least one more", len(c.Langs()))
	}
}
