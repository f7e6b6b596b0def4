package configs

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cellforge/cellforge/configs/internal/yamlfile"
)

// Limits a studio is unlikely to mean past; each catches a typo (45h for 45m) before the
// scheduler plans with it.
const (
	maxNameRunes = yamlfile.MaxNameRunes
	// maxPublicNameRunes bounds a maker's public name: a name on a label's page, not a biography.
	maxPublicNameRunes = 40
	maxValueRunes      = 64
	maxUnitTime        = 7 * 24 * time.Hour
	maxSetup           = 24 * time.Hour
	maxWindow          = 1_000_000
	minYear            = 2000
	maxYear            = 2999
	minPIN             = 4
	maxPIN             = 8
	minPassword        = 8
	maxPassword        = 72 // bcrypt ignores what follows
	minToken           = 16
	maxToken           = 256
	minTimeout         = time.Millisecond
	maxTimeout         = time.Minute
	minBaud            = 300
	maxBaud            = 4_000_000
	maxUnitID          = 247 // 248..255 are reserved by the Modbus serial line specification
)

// Defaults of device connections.
const (
	defaultTCPTimeout    = 500 * time.Millisecond
	defaultSerialTimeout = 200 * time.Millisecond
	defaultBaud          = 19200
	defaultParity        = "even"
	defaultStopBits      = 1
)

// Rules quoted in messages, next to the value that breaks them.
const (
	skuRule        = "want 1 to 64 of A-Z, a-z, 0-9, '.', '_', '-', starting with a letter or digit"
	capabilityRule = "want 1 to 32 of a-z, 0-9, '-', starting with a letter"
	roleRule       = "want operator, manager, planner or admin"
	parityRule     = "want none, even or odd"
	bcryptRule     = "must be a bcrypt hash ($2a$, $2b$ or $2y$, a cost of 04 to 31, 60 characters)"
)

// defaults fills in what a studio may leave out. A default is not written in the file, so it has
// no line.
func (f *rawFactory) defaults() {
	defaultTo(&f.Name, f.Site.V)
	for i := range f.SerialLines.V {
		l := &f.SerialLines.V[i]
		defaultTo(&l.Parity, defaultParity)
		if !l.Baud.Set() {
			l.Baud.V = defaultBaud
		}
		if !l.StopBits.Set() {
			l.StopBits.V = defaultStopBits
		}
		if !l.Timeout.Set() {
			l.Timeout.V = defaultSerialTimeout
		}
	}
	for i := range f.Cells.V {
		for j := range f.Cells.V[i].Devices.V {
			dev := &f.Cells.V[i].Devices.V[j]
			if kindOf(dev.Kind.V).Modbus {
				defaultTo(&dev.Profile, dev.Kind.V)
				if !dev.UnitID.Set() {
					dev.UnitID.V = 1
				}
			}
			if !dev.Timeout.Set() && !dev.SerialLine.Set() {
				dev.Timeout.V = defaultTCPTimeout
			}
		}
	}
	if f.Printing.V == nil {
		f.Printing.V = &rawPrinting{}
	}
	// Each reason list the file leaves out is the default list.
	f.Reasons.V = new(f.Reasons.V.withDefaults())
	for i := range f.Cells.V {
		c := &f.Cells.V[i]
		defaultTo(&c.Name, c.ID.V)
	}
	for i := range f.Products.V {
		p := &f.Products.V[i]
		defaultTo(&p.Name, p.SKU.V)
		for j := range p.Routing.V {
			s := &p.Routing.V[j]
			defaultTo(&s.Name, s.Capability.V)
			// An omitted setup is the zero duration already.
		}
	}
	for i := range f.Drops.V {
		dr := &f.Drops.V[i]
		defaultTo(&dr.Name, dr.ID.V)
	}
	for i := range f.People.V {
		p := &f.People.V[i]
		defaultTo(&p.Name, p.ID.V)
	}
	f.currencyDefaults()
	f.Aftercare.V.defaults()
}

// name checks a display name written in the file.
func (d *decoder) name(v value[string], object, field string) {
	if v.Set() && !v.Bad {
		d.Text(v, object, field, maxNameRunes)
	}
}

// defaultTo sets v to def when the file left it empty.
func defaultTo(v *value[string], def string) {
	if v.V == "" && !v.Bad {
		*v = value[string]{V: def}
	}
}

// validate checks what the decoder cannot: required fields, the shape of ids and credentials,
// uniqueness and references between objects.
func (d *decoder) validate(f *rawFactory) {
	if d.Required(f.Site, f.line, "", "site") {
		d.Shape(f.Site, "", "site", yamlfile.IsID, "invalid id %s ("+yamlfile.IDRule+")")
	}
	d.name(f.Name, "", "name")
	lines := d.checkSerialLines(f)
	capabilities := d.checkCells(f)
	devices := d.checkDevices(f, lines)
	// A scheduler counts changeovers on a cell by comparing one attribute between consecutive
	// operations, so all steps of a capability, a product's or a repair's, must name the same
	// attribute.
	attributes := make(map[string]value[string])
	skus := d.checkProducts(f, capabilities, attributes)
	d.checkAftercare(f, capabilities, skus, devices, attributes)
	d.checkCurrency(f)
	d.checkStops(f)
	d.checkParams(f)
	d.checkLots(f)
	d.checkDrops(f, skus)
	d.checkPeople(f)
	d.checkTokens(f.Tokens.V, isRole, roleRule)
}

// checkCells validates the cells and their devices and returns the capabilities the factory
// offers, or nil when some could not be decoded (so that routings are not checked against them).
func (d *decoder) checkCells(f *rawFactory) map[string]bool {
	if !d.NonEmpty(len(f.Cells.V), f.Cells.Line, f.Cells.Bad, f.line, "", "cells", "cell") {
		return nil
	}
	offered := make(map[string]bool)
	complete := true // every capability could be read, so a routing may be checked against them
	cellIDs := make(map[string]int)
	deviceIDs := make(map[string]int)
	for _, c := range f.Cells.V {
		if c.bad || c.Capabilities.Bad {
			complete = false
		}
		if c.bad {
			continue
		}
		if d.Required(c.ID, c.line, c.object, "id") && d.Shape(c.ID, c.object, "id", yamlfile.IsID, "invalid id %s ("+yamlfile.IDRule+")") {
			d.Unique(cellIDs, c.ID, "", "cells", "duplicate cell id %s (first at line %d)")
		}
		d.name(c.Name, c.object, "name")
		if d.NonEmpty(len(c.Capabilities.V), c.Capabilities.Line, c.Capabilities.Bad, c.line, c.object, "capabilities", "capability") {
			seen := make(map[string]int)
			for _, capability := range c.Capabilities.V {
				if capability.Bad {
					complete = false
					continue
				}
				if !d.Shape(capability, c.object, "capabilities", isCapability, "invalid capability %s ("+capabilityRule+")") {
					continue
				}
				d.Unique(seen, capability, c.object, "capabilities", "duplicate capability %s (first at line %d)")
				offered[capability.V] = true
			}
		}
		for _, dev := range c.Devices.V {
			if dev.bad {
				continue
			}
			if d.Required(dev.ID, dev.line, dev.object, "id") && d.Shape(dev.ID, dev.object, "id", yamlfile.IsID, "invalid id %s ("+yamlfile.IDRule+")") {
				// Device ids are unique across the factory: telemetry and the UI name a device alone.
				d.Unique(deviceIDs, dev.ID, c.object, "devices", "duplicate device id %s (first at line %d)")
			}
			if d.Required(dev.Kind, dev.line, dev.object, "kind") && !isDeviceKind(dev.Kind.V) {
				d.Add(dev.Kind.Line, dev.object, "kind", "unknown kind %s (%s)", yamlfile.Quote(dev.Kind.V), kindRule())
			}
		}
	}
	if !complete {
		return nil
	}
	return offered
}

// checkProducts validates the products and their routings against the capabilities offered (nil:
// unknown) and the changeover attribute of each capability, and returns the SKUs, or nil when
// some could not be decoded.
func (d *decoder) checkProducts(f *rawFactory, offered map[string]bool, attributes map[string]value[string]) map[string]bool {
	if !d.NonEmpty(len(f.Products.V), f.Products.Line, f.Products.Bad, f.line, "", "products", "product") {
		return nil
	}
	skus := make(map[string]int)
	folded := make(map[string]value[string])
	complete := true // every sku could be read, so a window may be checked against them
	for _, p := range f.Products.V {
		if p.bad || p.SKU.Bad {
			complete = false
		}
		if p.bad {
			continue
		}
		if d.Required(p.SKU, p.line, p.object, "sku") && d.Shape(p.SKU, p.object, "sku", isSKU, "invalid sku %s ("+skuRule+")") {
			if d.Unique(skus, p.SKU, "", "products", "duplicate sku %s (first at line %d)") {
				key := strings.ToLower(p.SKU.V)
				if other, clash := folded[key]; clash {
					d.Add(p.SKU.Line, "", "products", "sku %s differs only in case from sku %s (line %d)", yamlfile.Quote(p.SKU.V), yamlfile.Quote(other.V), other.Line)
				} else {
					folded[key] = p.SKU
				}
			}
		}
		d.name(p.Name, p.object, "name")
		if !d.NonEmpty(len(p.Routing.V), p.Routing.Line, p.Routing.Bad, p.line, p.object, "routing", "step") {
			continue
		}
		for _, s := range p.Routing.V {
			if !s.bad {
				d.checkStep(s, offered, attributes)
			}
		}
	}
	if !complete {
		return nil
	}
	known := make(map[string]bool, len(skus))
	for sku := range skus {
		known[sku] = true
	}
	return known
}

func (d *decoder) checkStep(s rawStep, offered map[string]bool, attributes map[string]value[string]) {
	capability := s.Capability
	if d.Required(capability, s.line, s.object, "capability") && d.Shape(capability, s.object, "capability", isCapability, "invalid capability %s ("+capabilityRule+")") {
		if offered != nil && !offered[capability.V] {
			d.Add(capability.Line, s.object, "capability", "no cell offers %s", yamlfile.Quote(capability.V))
		}
	}
	d.name(s.Name, s.object, "name")
	d.instructions(s.Instructions, s.object)
	d.checkChecks(s)
	switch {
	case s.UnitTime.Bad:
	case !s.UnitTime.Set():
		d.Add(s.line, s.object, "unit_time", "required")
	case s.UnitTime.V <= 0:
		d.Add(s.UnitTime.Line, s.object, "unit_time", "must be greater than zero (got %s)", s.UnitTime.V)
	case s.UnitTime.V > maxUnitTime:
		d.Add(s.UnitTime.Line, s.object, "unit_time", "must be at most %s (got %s)", maxUnitTime, s.UnitTime.V)
	}
	switch {
	case s.Setup.Bad || !s.Setup.Set():
	case s.Setup.V < 0:
		d.Add(s.Setup.Line, s.object, "setup", "must not be negative (got %s)", s.Setup.V)
	case s.Setup.V > maxSetup:
		d.Add(s.Setup.Line, s.object, "setup", "must be at most %s (got %s)", maxSetup, s.Setup.V)
	}
	c := s.Changeover.V
	if c == nil {
		return
	}
	if d.Required(c.Attribute, c.line, s.object, "changeover.attribute") &&
		d.Shape(c.Attribute, s.object, "changeover.attribute", yamlfile.IsAttribute, "invalid attribute %s ("+yamlfile.AttributeRule+")") &&
		!capability.Bad && capability.V != "" {
		if first, ok := attributes[capability.V]; !ok {
			attributes[capability.V] = c.Attribute
		} else if first.V != c.Attribute.V {
			d.Add(c.Attribute.Line, s.object, "changeover.attribute",
				"%s differs from %s used for capability %s at line %d (a cell counts changeovers by one attribute)",
				yamlfile.Quote(c.Attribute.V), yamlfile.Quote(first.V), yamlfile.Quote(capability.V), first.Line)
		}
	}
	if d.Required(c.Value, c.line, s.object, "changeover.value") {
		d.Text(c.Value, s.object, "changeover.value", maxValueRunes)
	}
}

// checkDrops validates the drops; their windows must name known SKUs (nil: unknown).
func (d *decoder) checkDrops(f *rawFactory, skus map[string]bool) {
	ids := make(map[string]int)
	for _, dr := range f.Drops.V {
		if dr.bad {
			continue
		}
		if d.Required(dr.ID, dr.line, dr.object, "id") && d.Shape(dr.ID, dr.object, "id", yamlfile.IsID, "invalid id %s ("+yamlfile.IDRule+")") {
			d.Unique(ids, dr.ID, "", "drops", "duplicate drop id %s (first at line %d)")
		}
		d.name(dr.Name, dr.object, "name")
		d.dropDate(dr.Date, dr.line, dr.object)
		if !d.NonEmpty(len(dr.Windows.V), dr.Windows.Line, dr.Windows.Bad, dr.line, dr.object, "windows", "sku") {
			continue
		}
		for _, w := range dr.Windows.V {
			field := "window " + yamlfile.Quote(w.V.SKU)
			if skus != nil && !skus[w.V.SKU] {
				d.Add(w.Line, dr.object, field, "unknown sku (no product has it)")
			}
			switch {
			case w.Bad:
			case w.V.Units < 0:
				d.Add(w.Line, dr.object, field, "must not be negative (got %d)", w.V.Units)
			case w.V.Units > maxWindow:
				d.Add(w.Line, dr.object, field, "must be at most %d (got %d)", maxWindow, w.V.Units)
			}
		}
	}
}

// checkPeople validates the people and their credentials. Messages never repeat a credential.
func (d *decoder) checkPeople(f *rawFactory) {
	ids := make(map[string]int)
	for _, p := range f.People.V {
		if p.bad {
			continue
		}
		if d.Required(p.ID, p.line, p.object, "id") && d.Shape(p.ID, p.object, "id", yamlfile.IsID, "invalid id %s ("+yamlfile.IDRule+")") {
			d.Unique(ids, p.ID, "", "people", "duplicate person id %s (first at line %d)")
		}
		d.name(p.Name, p.object, "name")
		d.publicName(p.PublicName, p.object)
		if d.Required(p.Role, p.line, p.object, "role") && !isRole(p.Role.V) {
			d.Add(p.Role.Line, p.object, "role", "unknown role %s (%s)", yamlfile.Quote(p.Role.V), roleRule)
		}
		pin := d.OneOf(p.PIN, p.PINHash, p.object, "pin", "pin_hash")
		password := d.OneOf(p.Password, p.PasswordHash, p.object, "password", "password_hash")
		switch p.Role.V {
		case RoleOperator:
			if !pin {
				d.Add(p.line, p.object, "pin", "an operator needs a pin or a pin_hash")
			}
			for _, v := range []struct {
				value[string]
				field string
			}{{p.Password, "password"}, {p.PasswordHash, "password_hash"}} {
				if v.Set() {
					d.Add(v.Line, p.object, v.field, "an operator signs in with a pin only; remove it")
				}
			}
		case RoleManager, RolePlanner, RoleAdmin:
			if !password {
				d.Add(p.line, p.object, "password", "a %s needs a password or a password_hash", p.Role.V)
			}
		}
		if p.PIN.Set() && !p.PIN.Bad && !isPIN(p.PIN.V) {
			d.Add(p.PIN.Line, p.object, "pin", "must be %d to %d digits", minPIN, maxPIN)
		}
		if p.Password.Set() && !p.Password.Bad {
			switch n := len(p.Password.V); {
			case utf8.RuneCountInString(p.Password.V) < minPassword:
				d.Add(p.Password.Line, p.object, "password", "must be at least %d characters", minPassword)
			case n > maxPassword:
				d.Add(p.Password.Line, p.object, "password", "must be at most %d bytes (bcrypt ignores the rest)", maxPassword)
			}
		}
		for _, v := range []struct {
			value[string]
			field string
		}{{p.PINHash, "pin_hash"}, {p.PasswordHash, "password_hash"}} {
			if v.Set() && !v.Bad && !isBcrypt(v.V) {
				d.Add(v.Line, p.object, v.field, bcryptRule)
			}
		}
	}
}

// publicName checks the name a person allows the public pages and certificates to show. It is
// written for strangers to read, so it must be real text: not blank, short, no control
// characters; an empty string is refused rather than taken as "never named", which is what
// leaving the key out says.
func (d *decoder) publicName(v value[string], object string) {
	if !v.Set() || v.Bad {
		return
	}
	if strings.TrimSpace(v.V) == "" {
		d.Add(v.Line, object, "public_name", "must not be blank (leave public_name out to stay unnamed)")
		return
	}
	d.Text(v, object, "public_name", maxPublicNameRunes)
}

// checkTokens validates the API tokens, whose roles roleOK accepts (rule says which). Two
// tokens with the same secret are refused: a request could not tell which client sent it.
// Messages never repeat a secret.
func (d *decoder) checkTokens(tokens []rawToken, roleOK func(string) bool, rule string) {
	names := make(map[string]int)
	secrets := make(map[string]rawToken)
	for _, t := range tokens {
		if t.bad {
			continue
		}
		if d.Required(t.Name, t.line, t.object, "name") && d.Shape(t.Name, t.object, "name", yamlfile.IsID, "invalid name %s ("+yamlfile.IDRule+")") {
			d.Unique(names, t.Name, "", "tokens", "duplicate token name %s (first at line %d)")
		}
		if d.Required(t.Role, t.line, t.object, "role") && !roleOK(t.Role.V) {
			d.Add(t.Role.Line, t.object, "role", "unknown role %s (%s)", yamlfile.Quote(t.Role.V), rule)
		}
		if !d.OneOf(t.Token, t.SHA256, t.object, "token", "sha256") {
			d.Add(t.line, t.object, "token", "a token needs a token or a sha256")
		}
		var secret value[string]
		switch {
		case t.Token.Set() && !t.Token.Bad:
			switch {
			case len(t.Token.V) < minToken:
				d.Add(t.Token.Line, t.object, "token", "must be at least %d characters", minToken)
			case len(t.Token.V) > maxToken:
				d.Add(t.Token.Line, t.object, "token", "must be at most %d characters", maxToken)
			case !isTokenText(t.Token.V):
				d.Add(t.Token.Line, t.object, "token", "must be printable ASCII without spaces (it travels in an HTTP header)")
			default:
				sum := sha256.Sum256([]byte(t.Token.V))
				secret = value[string]{V: hex.EncodeToString(sum[:]), Line: t.Token.Line}
			}
		case t.SHA256.Set() && !t.SHA256.Bad:
			if !isSHA256(t.SHA256.V) {
				d.Add(t.SHA256.Line, t.object, "sha256", "must be 64 lowercase hex characters (the SHA-256 of the token)")
			} else {
				secret = t.SHA256
			}
		}
		if secret.V == "" || t.Token.Set() && t.SHA256.Set() {
			continue
		}
		if first, dup := secrets[secret.V]; dup {
			field := "token"
			if t.SHA256.Set() {
				field = "sha256"
			}
			d.Add(secret.Line, t.object, field, "same secret as %s (line %d)", first.object, first.line)
			continue
		}
		secrets[secret.V] = t
	}
}

// isDeviceKind reports whether s is a kind of device a cell may hold.
func isDeviceKind(s string) bool {
	_, ok := LookupKind(s)
	return ok
}

func isRole(s string) bool {
	switch s {
	case RoleOperator, RoleManager, RolePlanner, RoleAdmin:
		return true
	}
	return false
}

// isSKU reports whether s matches ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$.
func isSKU(s string) bool {
	return yamlfile.Matches(s, 64, func(c byte) bool { return yamlfile.IsLower(c) || yamlfile.IsUpper(c) || yamlfile.IsDigit(c) },
		func(c byte) bool {
			return yamlfile.IsLower(c) || yamlfile.IsUpper(c) || yamlfile.IsDigit(c) || c == '.' || c == '_' || c == '-'
		})
}

// isCapability reports whether s matches ^[a-z][a-z0-9-]{0,31}$.
func isCapability(s string) bool {
	return yamlfile.Matches(s, 32, yamlfile.IsLower, func(c byte) bool { return yamlfile.IsLower(c) || yamlfile.IsDigit(c) || c == '-' })
}
func isPIN(s string) bool {
	if len(s) < minPIN || len(s) > maxPIN {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !yamlfile.IsDigit(s[i]) {
			return false
		}
	}
	return true
}

// isBcrypt reports whether s has the shape of a bcrypt hash: $2a$, $2b$ or $2y$, a two-digit cost
// from 04 to 31, $, and 53 characters of bcrypt's base64 alphabet. Nothing is computed.
func isBcrypt(s string) bool {
	if len(s) != 60 || s[0] != '$' || s[1] != '2' || !strings.ContainsRune("aby", rune(s[2])) || s[3] != '$' || s[6] != '$' {
		return false
	}
	if !yamlfile.IsDigit(s[4]) || !yamlfile.IsDigit(s[5]) {
		return false
	}
	if cost := int(s[4]-'0')*10 + int(s[5]-'0'); cost < 4 || cost > 31 {
		return false
	}
	for i := 7; i < len(s); i++ {
		if c := s[i]; !yamlfile.IsLower(c) && !yamlfile.IsUpper(c) && !yamlfile.IsDigit(c) && c != '.' && c != '/' {
			return false
		}
	}
	return true
}

func isSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !yamlfile.IsDigit(c) && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// isTokenText reports whether s is printable ASCII without spaces.
func isTokenText(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// build turns a validated raw factory into the model.
func (f *rawFactory) build(file string) *Factory {
	out := &Factory{File: file, Site: f.Site.V, Name: f.Name.V, Simulate: f.Simulate.V, Hours: f.Hours.V,
		Reasons: *f.Reasons.V, Hosts: f.Hosts.V, Currency: f.Currency.V, Stops: f.stops()}
	if t := f.Telemetry.V; t != nil {
		out.Telemetry = *t
	} else {
		out.Telemetry = DefaultTelemetry(f.Site.V)
	}
	out.Tablet = DefaultTablet()
	if t := f.Tablet.V; t != nil {
		out.Tablet = *t
	}
	out.Store = DefaultStore()
	if s := f.Store.V; s != nil {
		out.Store = *s
	}
	if p := f.Provenance.V; p != nil {
		out.Provenance = *p
	}
	out.Network = f.Network.V
	for _, l := range f.SerialLines.V {
		out.SerialLines = append(out.SerialLines, SerialLine{
			ID: l.ID.V, Port: l.Port.V, Baud: int(l.Baud.V), Parity: l.Parity.V,
			StopBits: int(l.StopBits.V), Timeout: l.Timeout.V, Line: l.line,
		})
	}
	if p := f.Printing.V; p != nil {
		out.Printing = Printing{Labels: p.Labels.V, Tickets: p.Tickets.V, ProvenanceURL: p.Provenance.V}
	}
	for _, c := range f.Cells.V {
		cell := Cell{ID: c.ID.V, Name: c.Name.V, Hours: c.Hours.V, Line: c.line, AutoStart: c.AutoStart.V || c.AutoStart.Line == 0,
			LabourRate: c.LabourRate.V, MachineRate: c.MachineRate.V}
		for _, capability := range c.Capabilities.V {
			cell.Capabilities = append(cell.Capabilities, capability.V)
		}
		for _, dev := range c.Devices.V {
			cell.Devices = append(cell.Devices, dev.build())
		}
		out.Cells = append(out.Cells, cell)
	}
	for _, p := range f.Products.V {
		product := Product{SKU: p.SKU.V, Name: p.Name.V, Price: p.Price.V, Line: p.line}
		for _, s := range p.Routing.V {
			product.Routing = append(product.Routing, s.build())
		}
		out.Products = append(out.Products, product)
	}
	for _, dr := range f.Drops.V {
		drop := Drop{ID: dr.ID.V, Name: dr.Name.V, Date: dr.Date.V, Windows: make(map[string]int, len(dr.Windows.V)), Line: dr.line}
		for _, w := range dr.Windows.V {
			drop.Windows[w.V.SKU] = int(w.V.Units)
		}
		out.Drops = append(out.Drops, drop)
	}
	for _, p := range f.People.V {
		out.People = append(out.People, Person{
			ID:           p.ID.V,
			Name:         p.Name.V,
			PublicName:   p.PublicName.V,
			Role:         p.Role.V,
			PIN:          p.PIN.V,
			PINHash:      p.PINHash.V,
			Password:     p.Password.V,
			PasswordHash: p.PasswordHash.V,
			Line:         p.line,
		})
	}
	for _, t := range f.Tokens.V {
		out.Tokens = append(out.Tokens, Token{Name: t.Name.V, Role: t.Role.V, Token: t.Token.V, SHA256: t.SHA256.V, Line: t.line})
	}
	if a := f.Aftercare.V; a != nil {
		out.Aftercare = a.build()
	}
	return out
}

// build turns a validated routing step into the model.
func (s rawStep) build() Step {
	step := Step{
		Name:         s.Name.V,
		Instructions: s.Instructions.V,
		Capability:   s.Capability.V,
		UnitTime:     s.UnitTime.V,
		Setup:        s.Setup.V,
		Params:       s.Params.V,
		MakesLot:     s.MakesLot.V,
		MaterialCost: s.MaterialCost.V,
		Line:         s.line,
	}
	for _, c := range s.Checks.V {
		step.Checks = append(step.Checks, c.build())
	}
	if c := s.Changeover.V; c != nil {
		step.Changeover = &Changeover{Attribute: c.Attribute.V, Value: c.Value.V}
	}
	for _, m := range s.Materials.V {
		step.Materials = append(step.Materials, m.V)
	}
	return step
}

// steps returns every routing step of the file: the products', then the aftercare section's.
func (f *rawFactory) steps() []rawStep {
	var out []rawStep
	for _, p := range f.Products.V {
		out = append(out, p.Routing.V...)
	}
	return append(out, f.Aftercare.V.steps()...)
}

// dropDate checks a drop's date, in the factory's file or the hub's: required, and of a year in
// minYear..maxYear.
func (d *decoder) dropDate(date yamlfile.Value[time.Time], objectLine int, object string) {
	switch {
	case date.Bad:
	case !date.Set():
		d.Add(objectLine, object, "date", "required")
	case date.V.Year() < minYear || date.V.Year() > maxYear:
		d.Add(date.Line, object, "date", "year %d is out of range %d..%d", date.V.Year(), minYear, maxYear)
	}
}
