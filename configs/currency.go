package configs

import "github.com/cellforge/cellforge/configs/internal/yamlfile"

// The studio's money is in one currency, written at the top of the file:
//
//	currency: EUR
//
// Products' prices, steps' material costs, cells' labour and machine rates and the aftercare
// section's prices are all in it. A file that names it only in its aftercare section (as files
// written before the top-level key did) keeps that one; a file that names neither is in
// DefaultCurrency.

// currencyDefaults fills in the factory's currency and the aftercare section's.
func (f *rawFactory) currencyDefaults() {
	a := f.Aftercare.V
	if !f.Currency.Set() {
		f.Currency.V = DefaultCurrency
		if a != nil && a.Currency.Set() && !a.Currency.Bad && isCurrency(a.Currency.V) {
			f.Currency.V = a.Currency.V
		}
	}
	if a != nil && !a.Currency.Set() {
		a.Currency.V = f.Currency.V
	}
}

// checkCurrency checks the factory's currency and that the aftercare section's, when both are
// written, is the same.
func (d *decoder) checkCurrency(f *rawFactory) {
	c := f.Currency
	if !c.Set() || c.Bad {
		return
	}
	if !isCurrency(c.V) {
		d.Add(c.Line, "", "currency", "invalid currency %s (want an ISO 4217 code: 3 upper-case letters, such as EUR)", yamlfile.Quote(c.V))
		return
	}
	if a := f.Aftercare.V; a != nil && a.Currency.Set() && !a.Currency.Bad && isCurrency(a.Currency.V) && a.Currency.V != c.V {
		d.Add(a.Currency.Line, aftercareObject, "currency", "%s differs from the studio's currency %s (line %d); prices, costs and rates are in one currency",
			yamlfile.Quote(a.Currency.V), yamlfile.Quote(c.V), c.Line)
	}
}
