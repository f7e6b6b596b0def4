package configs

import (
	"net/url"
	"slices"

	"github.com/cellforge/cellforge/configs/internal/yamlfile"
)

// The broker section says how the hub and a site reach the MQTT broker that carries the
// network's messages, in the hub's file and in a site's network section alike:
//
//	broker:
//	  url: ssl://broker.example.net:8883
//	  username: porto
//	  password_file: /etc/cellforge/network.mqtt   # or password_env: CELLFORGE_NETWORK_MQTT
//	  ca_file: /etc/cellforge/ca.pem
//	  cert_file: /etc/cellforge/porto.pem
//	  key_file: /etc/cellforge/porto.key
//
// The file holds no password, so that it can be shared and kept in version control: the
// password is read from the file password_file names, or from the environment variable
// password_env names, when the daemon starts (Broker.LoadPassword). The TLS files are read then
// too (Broker.TLSConfig). Paths are taken as written, relative to the daemon's working directory.

// Broker is how the daemon reaches the network's MQTT broker.
type Broker struct {
	// URL is the broker's: tcp://host:port, or ssl:// or mqtts:// for TLS.
	URL string
	// ClientID is the daemon's session at the broker; empty for the link's default
	// (cellforge-net-<hub or site>).
	ClientID string
	// Username is the broker user; empty for none.
	Username string
	// PasswordFile names the file holding the broker password, PasswordEnv the environment
	// variable holding it; at most one is set, and neither without a username.
	PasswordFile, PasswordEnv string
	// CAFile, CertFile and KeyFile are PEM files for TLS: the broker's CA (the system's when
	// empty), and the client's certificate and key for mutual TLS (both or neither).
	CAFile, CertFile, KeyFile string
	// Line is the line of the section in the file.
	Line int

	at brokerAt
}

// brokerAt is where a broker section was written, for the errors of reading its files.
type brokerAt struct {
	file, object, prefix string
	lines                map[string]int
}

// brokerKeys are the fields of a broker section, in the order their problems are found in.
var brokerKeys = []string{"url", "client_id", "username", "password", "password_file", "password_env", "ca_file", "cert_file", "key_file"}

// brokerSchemes are the URL schemes of a broker; the ones after tcp use TLS.
var brokerSchemes = []string{"tcp", "ssl", "mqtts"}

// rawBroker is a broker section as written; line is its key's.
type rawBroker struct {
	line   int
	object string
	prefix string
	fields map[string]value[string]
}

// broker decodes and checks the broker section under key of m, reporting its problems under
// object, its fields prefixed with prefix ("" in the hub's file, "broker" in a network section).
// It reports a missing section as required at line (the enclosing object's), in m's object. The Broker is nil
// when the section has a problem.
func (d *decoder) broker(m *mapping, key string, line int, object, prefix string) *Broker {
	e, ok := m.Entries[key]
	if !ok || yamlfile.IsNull(e.Val) {
		d.Add(m.Line(key, line), m.Object, m.Field(key), "required")
		return nil
	}
	bm, ok := d.Mapping(e.Val, object, prefix, brokerKeys...)
	if !ok {
		return nil
	}
	r := rawBroker{line: e.Key.Line, object: object, prefix: prefix, fields: make(map[string]value[string], len(brokerKeys))}
	for _, k := range brokerKeys {
		r.fields[k] = d.Str(bm, k)
	}
	found := len(d.Errs)
	r.validate(d, bm)
	if len(d.Errs) > found {
		return nil
	}
	return r.build(d.File)
}

// validate checks the URL, the client id, the credentials (no password in the file, one place
// to read it from, and a user to go with it) and the TLS files (both halves of a client
// certificate, and TLS files only for a TLS URL).
func (r *rawBroker) validate(d *decoder, bm *mapping) {
	f := r.fields
	scheme := ""
	switch u := f["url"]; {
	case u.Bad:
	case !u.Set():
		d.Add(r.line, r.object, bm.Field("url"), "required")
	default:
		var msg string
		if scheme, msg = checkBrokerURL(u.V); msg != "" {
			d.Add(u.Line, r.object, bm.Field("url"), "%s", msg)
		}
	}
	if c := f["client_id"]; checkable(c) && (c.V == "" || len(c.V) > maxClientID) {
		d.Add(c.Line, r.object, bm.Field("client_id"), "must be 1 to 64 characters")
	}
	if p := f["password"]; p.Set() {
		d.Add(p.Line, r.object, bm.Field("password"), "passwords are not written in the file: name the file holding it in password_file, or the environment variable in password_env")
	}
	pf, pe := f["password_file"], f["password_env"]
	d.OneOf(pf, pe, r.object, bm.Field("password_file"), bm.Field("password_env"))
	for _, k := range []string{"username", "password_file", "password_env", "ca_file", "cert_file", "key_file"} {
		if v := f[k]; checkable(v) && v.V == "" {
			d.Add(v.Line, r.object, bm.Field(k), "must not be empty (leave the key out)")
		}
	}
	if p := pick(pf, pe); p.Set() && !f["username"].Set() {
		d.Add(p.Line, r.object, bm.Field("username"), "a password needs a username")
	}
	if pe.Set() && pe.V != "" && !isEnvName(pe.V) {
		d.Add(pe.Line, r.object, bm.Field("password_env"), "invalid variable name %s (want A-Z, 0-9 and '_', not starting with a digit)", yamlfile.Quote(pe.V))
	}
	if c, k := f["cert_file"], f["key_file"]; c.Set() != k.Set() {
		d.Add(r.line, r.object, r.prefix, "set both cert_file and key_file, or neither")
	}
	if scheme == "tcp" {
		for _, k := range []string{"ca_file", "cert_file", "key_file"} {
			if v := f[k]; v.Set() {
				d.Add(v.Line, r.object, bm.Field(k), "%s is for TLS, and %s is not a TLS URL (want ssl:// or mqtts://)", k, yamlfile.Quote(f["url"].V))
			}
		}
	}
}

// pick returns a when it is written, else b.
func pick(a, b value[string]) value[string] {
	if a.Set() {
		return a
	}
	return b
}

// checkBrokerURL returns the scheme of a broker URL and what is wrong with it, "" when nothing is.
func checkBrokerURL(raw string) (scheme, msg string) {
	u, err := url.Parse(raw)
	switch {
	case raw == "":
		return "", "must not be empty"
	case err != nil:
		return "", "not a URL: " + err.Error()
	case !slices.Contains(brokerSchemes, u.Scheme):
		return "", yamlfile.Quote(raw) + " is not a broker URL (want tcp://, ssl:// or mqtts://host:port)"
	case u.Hostname() == "" || u.Port() == "":
		return "", yamlfile.Quote(raw) + " names no host and port (want " + u.Scheme + "://host:port)"
	case u.User != nil:
		return "", yamlfile.Quote(raw) + " holds a user: write it in username, and the password in password_file or password_env"
	case u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.Fragment != "":
		return "", yamlfile.Quote(raw) + " has more than a host and port"
	}
	return u.Scheme, ""
}

// isEnvName reports whether s is an environment variable name: A-Z, 0-9 and '_', not starting
// with a digit.
func isEnvName(s string) bool {
	return yamlfile.Matches(s, 128, func(c byte) bool { return yamlfile.IsUpper(c) || c == '_' },
		func(c byte) bool { return yamlfile.IsUpper(c) || yamlfile.IsDigit(c) || c == '_' })
}

// build turns a sound section into a Broker that remembers where it was written.
func (r *rawBroker) build(file string) *Broker {
	f := r.fields
	b := &Broker{
		URL: f["url"].V, ClientID: f["client_id"].V, Username: f["username"].V,
		PasswordFile: f["password_file"].V, PasswordEnv: f["password_env"].V,
		CAFile: f["ca_file"].V, CertFile: f["cert_file"].V, KeyFile: f["key_file"].V,
		Line: r.line,
		at:   brokerAt{file: file, object: r.object, prefix: r.prefix, lines: make(map[string]int)},
	}
	for k, v := range f {
		if v.Set() {
			b.at.lines[k] = v.Line
		}
	}
	return b
}
