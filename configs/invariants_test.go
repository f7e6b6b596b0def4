package configs_test

import (
	"fmt"
	"math"
	"net/netip"
	"regexp"
	"strings"
	"time"

	"github.com/cellforge/cellforge/configs"
)

// The patterns of the package doc, written independently of the parser's hand-written checks so
// that the fuzzer compares two implementations.
var (
	idPattern         = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	skuPattern        = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	capabilityPattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)
	reasonPattern     = regexp.MustCompile(`^[a-z0-9-]{1,32}$`)
	pinPattern        = regexp.MustCompile(`^[0-9]{4,8}$`)
	bcryptPattern     = regexp.MustCompile(`^\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}$`)
	sha256Pattern     = regexp.MustCompile(`^[0-9a-f]{64}$`)
	currencyPattern   = regexp.MustCompile(`^[A-Z]{3}$`)
	hostPattern       = regexp.MustCompile(`^([a-z0-9_]|[a-z0-9_][a-z0-9_-]{0,61}[a-z0-9_])(\.([a-z0-9_]|[a-z0-9_][a-z0-9_-]{0,61}[a-z0-9_]))*$`)
)

// checkInvariants re-checks, on the model alone, what Parse promises about a Factory it returns.
func checkInvariants(f *configs.Factory) error {
	var errs []string
	fail := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	unique := func(kind string, seen map[string]bool, id string) {
		if seen[id] {
			fail("duplicate %s %q", kind, id)
		}
		seen[id] = true
	}
	if f.File == "" {
		fail("no file")
	}
	if !idPattern.MatchString(f.Site) {
		fail("bad site %q", f.Site)
	}
	if f.Name == "" {
		fail("no name")
	}
	if len(f.Cells) == 0 || len(f.Products) == 0 {
		fail("no cells or no products")
	}
	cells, devices, offered := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, c := range f.Cells {
		unique("cell", cells, c.ID)
		if !idPattern.MatchString(c.ID) || c.Name == "" || c.Line < 1 || len(c.Capabilities) == 0 {
			fail("bad cell %+v", c)
		}
		own := map[string]bool{}
		for _, capability := range c.Capabilities {
			unique("capability of cell "+c.ID, own, capability)
			if !capabilityPattern.MatchString(capability) {
				fail("bad capability %q", capability)
			}
			offered[capability] = true
		}
		for _, d := range c.Devices {
			unique("device", devices, d.ID)
			switch d.Kind {
			case "loom", "dye-station", "micro-printer", "label-printer":
			default:
				fail("bad device kind %q", d.Kind)
			}
			if !idPattern.MatchString(d.ID) || d.Line < 1 {
				fail("bad device %+v", d)
			}
		}
	}
	skus, folded := map[string]bool{}, map[string]bool{}
	for _, p := range f.Products {
		unique("sku", skus, p.SKU)
		unique("case-folded sku", folded, strings.ToLower(p.SKU))
		if !skuPattern.MatchString(p.SKU) || p.Name == "" || p.Line < 1 || len(p.Routing) == 0 {
			fail("bad product %+v", p)
		}
		for _, s := range p.Routing {
			if !offered[s.Capability] {
				fail("product %s needs %q, which no cell offers", p.SKU, s.Capability)
			}
			if s.Name == "" || s.UnitTime <= 0 || s.Setup < 0 || s.Line < 1 {
				fail("bad step %+v", s)
			}
			if c := s.Changeover; c != nil && (c.Attribute == "" || c.Value == "") {
				fail("bad changeover %+v", c)
			}
			checkStepEconomics("product "+p.SKU, s, fail)
		}
		if p.Price < 0 || p.Price > configs.MaxMoney {
			fail("product %s: bad price %s", p.SKU, p.Price)
		}
	}
	drops := map[string]bool{}
	for _, d := range f.Drops {
		unique("drop", drops, d.ID)
		if !idPattern.MatchString(d.ID) || d.Name == "" || d.Line < 1 || d.Date.IsZero() || d.Date.Location().String() != "UTC" {
			fail("bad drop %+v", d)
		}
		for sku, n := range d.Windows {
			if !skus[sku] || n < 0 {
				fail("drop %s: bad window %q: %d", d.ID, sku, n)
			}
		}
	}
	people := map[string]bool{}
	for _, p := range f.People {
		unique("person", people, p.ID)
		if !idPattern.MatchString(p.ID) || p.Name == "" || p.Line < 1 {
			fail("bad person %+v", p)
		}
		pins := count(p.PIN != "", p.PINHash != "")
		passwords := count(p.Password != "", p.PasswordHash != "")
		switch p.Role {
		case configs.RoleOperator:
			if pins != 1 || passwords != 0 {
				fail("operator %s: %d pins, %d passwords", p.ID, pins, passwords)
			}
		case configs.RoleManager, configs.RolePlanner, configs.RoleAdmin:
			if pins > 1 || passwords != 1 {
				fail("%s %s: %d pins, %d passwords", p.Role, p.ID, pins, passwords)
			}
		default:
			fail("person %s: bad role %q", p.ID, p.Role)
		}
		if p.PIN != "" && !pinPattern.MatchString(p.PIN) ||
			p.PINHash != "" && !bcryptPattern.MatchString(p.PINHash) ||
			p.Password != "" && len(p.Password) < 8 ||
			p.PasswordHash != "" && !bcryptPattern.MatchString(p.PasswordHash) {
			fail("person %s: bad credential", p.ID)
		}
	}
	tokens := map[string]bool{}
	for _, t := range f.Tokens {
		unique("token", tokens, t.Name)
		if !idPattern.MatchString(t.Name) || t.Line < 1 || count(t.Token != "", t.SHA256 != "") != 1 ||
			t.Token != "" && len(t.Token) < 16 || t.SHA256 != "" && !sha256Pattern.MatchString(t.SHA256) {
			fail("bad token %s", t.Name)
		}
		switch t.Role {
		case configs.RoleOperator, configs.RoleManager, configs.RolePlanner, configs.RoleAdmin:
		default:
			fail("token %s: bad role %q", t.Name, t.Role)
		}
	}
	for kind, list := range map[string][]configs.Reason{"pause": f.Reasons.Pause, "scrap": f.Reasons.Scrap, "fault": f.Reasons.Fault} {
		if len(list) == 0 {
			fail("no %s reasons", kind)
		}
		codes := map[string]bool{}
		for _, r := range list {
			unique(kind+" reason", codes, r.Code)
			if !reasonPattern.MatchString(r.Code) || r.Label == "" {
				fail("bad %s reason %+v", kind, r)
			}
		}
	}
	if f.Hosts != nil && len(f.Hosts) == 0 {
		fail("an empty list of hosts")
	}
	hosts := map[string]bool{}
	for _, h := range f.Hosts {
		unique("host", hosts, h)
		if ip, err := netip.ParseAddr(h); err == nil {
			if ip.Unmap().String() != h || ip.IsUnspecified() || ip.Zone() != "" {
				fail("host %q is not an address in its canonical form", h)
			}
			continue
		}
		last := h[strings.LastIndexByte(h, '.')+1:]
		if len(h) > 253 || !hostPattern.MatchString(h) || strings.Trim(last, "0123456789") == "" {
			fail("bad host %q", h)
		}
	}
	if a := f.Aftercare; a != nil {
		checkAftercareInvariants(a, offered, skus, fail)
		for _, svc := range a.Services {
			for _, st := range svc.Routing {
				checkStepEconomics("service "+svc.ID, st, fail)
			}
		}
		if a.Currency != f.Currency {
			fail("aftercare's currency %q is not the studio's %q", a.Currency, f.Currency)
		}
	}
	if !currencyPattern.MatchString(f.Currency) {
		fail("bad currency %q", f.Currency)
	}
	for _, c := range f.Cells {
		if c.LabourRate < 0 || c.LabourRate > configs.MaxMoney || c.MachineRate < 0 || c.MachineRate > configs.MaxMoney {
			fail("cell %s: bad rates %s, %s", c.ID, c.LabourRate, c.MachineRate)
		}
	}
	checkStopsInvariants(f, fail)
	if n := f.Network; n != nil {
		checkNetworkInvariants(n, fail)
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

func count(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

// checkAftercareInvariants re-checks what Parse promises about an aftercare section, given the
// capabilities the cells offer and the products' SKUs.
func checkAftercareInvariants(a *configs.Aftercare, offered, skus map[string]bool, fail func(string, ...any)) {
	money := func(what string, m configs.Money) {
		if m < 0 || m > configs.MaxMoney {
			fail("aftercare: %s: bad amount %d", what, m)
		}
	}
	step := func(what string, s configs.Step) {
		if !offered[s.Capability] || s.Name == "" || s.UnitTime <= 0 || s.Setup < 0 || s.Line < 1 {
			fail("aftercare: %s: bad step %+v", what, s)
		}
	}
	if a.EstimateValid <= 0 || len(a.Currency) != 3 || a.ExpressPremium < 0 || a.ExpressPremium > 500 || a.Line < 1 {
		fail("bad aftercare %+v", a)
	}
	money("labour_rate", a.LabourRate)
	step("diagnosis", a.Diagnosis)
	if len(a.Kinds) == 0 || len(a.Services) == 0 {
		fail("aftercare without kinds or services")
	}
	kinds, kindOf := map[string]bool{}, map[string]string{}
	for _, k := range a.Kinds {
		if kinds[k.ID] || !idPattern.MatchString(k.ID) || k.Name == "" {
			fail("aftercare: bad kind %+v", k)
		}
		kinds[k.ID] = true
		for _, sku := range k.SKUs {
			if !skus[sku] || kindOf[sku] != "" {
				fail("aftercare: kind %s: sku %q unknown or of kind %q too", k.ID, sku, kindOf[sku])
			}
			kindOf[sku] = k.ID
		}
		items := map[string]bool{}
		for _, c := range k.Checklist {
			if items[c.ID] || !idPattern.MatchString(c.ID) || c.Label == "" || c.Input != configs.CheckBox && c.Input != configs.CheckText {
				fail("aftercare: kind %s: bad checklist item %+v", k.ID, c)
			}
			items[c.ID] = true
		}
	}
	services := map[string]bool{}
	for _, s := range a.Services {
		if services[s.ID] || !idPattern.MatchString(s.ID) || s.ID == "diagnosis" || s.Name == "" || len(s.Kinds) == 0 || len(s.Routing) == 0 {
			fail("aftercare: bad service %+v", s)
		}
		services[s.ID] = true
		for _, k := range s.Kinds {
			if !kinds[k] {
				fail("aftercare: service %s: unknown kind %q", s.ID, k)
			}
		}
		money("service "+s.ID, s.Fee)
		for _, p := range s.Parts {
			money("service "+s.ID+": part "+p.Name, p.Price)
		}
		for _, st := range s.Routing {
			step("service "+s.ID, st)
		}
	}
	plans := map[string]bool{}
	for _, p := range a.CarePlans {
		if plans[p.ID] || !idPattern.MatchString(p.ID) || p.Name == "" || p.Term <= 0 || len(p.Covers) == 0 {
			fail("aftercare: bad care plan %+v", p)
		}
		plans[p.ID] = true
		money("care plan "+p.ID, p.Price)
		for _, c := range p.Covers {
			if !services[c.Service] || c.Count < 1 || c.Count > 100 {
				fail("aftercare: care plan %s: bad cover %+v", p.ID, c)
			}
		}
	}
}

// checkStepEconomics re-checks a step's material cost and checklist.
func checkStepEconomics(owner string, s configs.Step, fail func(string, ...any)) {
	if s.MaterialCost < 0 || s.MaterialCost > configs.MaxMoney {
		fail("%s: step %s: bad material cost %s", owner, s.Name, s.MaterialCost)
	}
	if s.Checks != nil && (len(s.Checks) == 0 || len(s.Checks) > 20) {
		fail("%s: step %s: %d checks", owner, s.Name, len(s.Checks))
	}
	names := map[string]bool{}
	for _, c := range s.Checks {
		key := strings.ToLower(c.Name)
		if c.Name == "" || names[key] || c.Line < 1 {
			fail("%s: step %s: bad check %+v", owner, s.Name, c)
		}
		names[key] = true
		finite := !math.IsNaN(c.Min) && !math.IsNaN(c.Max) && !math.IsInf(c.Min, 0) && !math.IsInf(c.Max, 0)
		if c.Measure && (c.Unit == "" || !finite || c.Min > c.Max) || !c.Measure && (c.Unit != "" || c.Min != 0 || c.Max != 0) {
			fail("%s: step %s: bad check %+v", owner, s.Name, c)
		}
	}
}

// checkStopsInvariants re-checks the stops section: a short tree of unique codes, each loss one
// a stop can be, every reference to a reason of the tree, and shifts in order through a day.
func checkStopsInvariants(f *configs.Factory, fail func(string, ...any)) {
	s := f.Stops
	if s.Prompt < 0 || s.Prompt > time.Hour || s.ReasonWindow < time.Hour || s.ReasonWindow > 7*24*time.Hour {
		fail("stops: prompt %s, reason window %s", s.Prompt, s.ReasonWindow)
	}
	if len(s.Reasons) < 1 || len(s.Reasons) > 12 {
		fail("stops: %d reasons", len(s.Reasons))
	}
	codes := map[string]bool{}
	for _, r := range s.Reasons {
		if codes[r.Code] || !reasonPattern.MatchString(r.Code) || r.Label == "" {
			fail("stops: bad reason %+v", r)
		}
		codes[r.Code] = true
		switch r.Loss {
		case configs.LossBreakdowns, configs.LossSetup:
		case configs.LossNone:
			if !r.Planned {
				fail("stops: unplanned reason %s is no loss", r.Code)
			}
		default:
			fail("stops: reason %s has loss %q", r.Code, r.Loss)
		}
	}
	for _, code := range []string{s.Fault, s.Setup, s.Check} {
		if !codes[code] {
			fail("stops: %q is no reason of the tree", code)
		}
	}
	for fault, code := range s.MachineFaults {
		if !codes[code] || fault == "" {
			fail("stops: machine fault %q gives %q", fault, code)
		}
	}
	for pause, code := range s.Pauses {
		if _, ok := f.Reasons.Find(f.Reasons.Pause, pause); !ok || !codes[code] {
			fail("stops: pause %q gives %q", pause, code)
		}
	}
	if len(s.Shifts) < 1 || len(s.Shifts) > 6 {
		fail("stops: %d shifts", len(s.Shifts))
	}
	names := map[string]bool{}
	for i, sh := range s.Shifts {
		if sh.Name == "" || names[sh.Name] || sh.Start < 0 || sh.Start >= 24*time.Hour || i > 0 && sh.Start <= s.Shifts[i-1].Start {
			fail("stops: bad shift %+v", sh)
		}
		names[sh.Name] = true
	}
}

// brokerPattern is a broker URL a network section or a hub's file may name.
var brokerPattern = regexp.MustCompile(`^(tcp|ssl|mqtts)://[^/@?#]+:[0-9]+/?$`)

// checkNetworkInvariants re-checks a site's network section.
func checkNetworkInvariants(n *configs.Network, fail func(string, ...any)) {
	if !idPattern.MatchString(n.Site) || n.Site == configs.HubID {
		fail("network: bad site %q", n.Site)
	}
	if len(n.HubKey) != 32 {
		fail("network: hub key of %d bytes", len(n.HubKey))
	}
	checkBrokerInvariants("network", n.Broker, fail)
}

// checkBrokerInvariants re-checks a broker section.
func checkBrokerInvariants(owner string, b configs.Broker, fail func(string, ...any)) {
	if !brokerPattern.MatchString(b.URL) {
		fail("%s: bad broker URL %q", owner, b.URL)
	}
	if b.PasswordFile != "" && b.PasswordEnv != "" || (b.PasswordFile != "" || b.PasswordEnv != "") && b.Username == "" {
		fail("%s: password without a username, or from two places", owner)
	}
	if (b.CertFile == "") != (b.KeyFile == "") {
		fail("%s: half a client certificate", owner)
	}
	if strings.HasPrefix(b.URL, "tcp:") && b.CAFile+b.CertFile+b.KeyFile != "" {
		fail("%s: TLS files for a tcp:// broker", owner)
	}
}

// checkHubInvariants re-checks, on the model alone, what ParseHub promises about a Hub it
// returns.
func checkHubInvariants(h *configs.Hub) error {
	var errs []string
	fail := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if h.File == "" || h.Name == "" {
		fail("no file or name")
	}
	if !strings.HasPrefix(h.Postgres, "postgres") {
		fail("bad database %q", h.Postgres)
	}
	checkBrokerInvariants("hub", h.Broker, fail)
	if h.AckTimeout < time.Second || h.PromiseTimeout < 100*time.Millisecond || h.OnlineWithin < time.Second {
		fail("timings too short: %s, %s, %s", h.AckTimeout, h.PromiseTimeout, h.OnlineWithin)
	}
	if len(h.Sites) == 0 || len(h.Drops) == 0 {
		fail("no sites or no drops")
	}
	ids, keys := map[string]bool{}, map[string]bool{}
	for _, s := range h.Sites {
		if !idPattern.MatchString(s.ID) || s.ID == configs.HubID || ids[s.ID] {
			fail("bad or duplicate site id %q", s.ID)
		}
		ids[s.ID] = true
		if len(s.Key) != 32 || keys[string(s.Key)] {
			fail("site %s: bad or shared key", s.ID)
		}
		keys[string(s.Key)] = true
		if s.Name == "" || math.Abs(s.Location.Lat) > 90 || math.Abs(s.Location.Lon) > 180 || math.IsNaN(s.Location.Lat+s.Location.Lon) {
			fail("site %s: no name or a place off Earth %+v", s.ID, s.Location)
		}
	}
	drops := map[string]bool{}
	for _, d := range h.Drops {
		if !idPattern.MatchString(d.ID) || drops[d.ID] || len(d.SKUs) == 0 || d.Date.IsZero() {
			fail("bad drop %q", d.ID)
		}
		drops[d.ID] = true
		skus := map[string]bool{}
		for _, sku := range d.SKUs {
			if !skuPattern.MatchString(sku) || skus[sku] {
				fail("drop %s: bad or duplicate sku %q", d.ID, sku)
			}
			skus[sku] = true
		}
	}
	for _, t := range h.Tokens {
		if t.Role == configs.RoleOperator {
			fail("token %s: an operator at the hub", t.Name)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}
