package web

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cellforge/cellforge/api"
	"github.com/cellforge/cellforge/api/reqlog"
	"github.com/cellforge/cellforge/api/web/qrsvg"
	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/certify"
	"github.com/cellforge/cellforge/book/photos"
	"github.com/cellforge/cellforge/configs"
)

// The customer's side of a repair, on a phone and with no account: the form that asks for a
// repair of a unit (/u/{serial}/repair, from the unit's public page) and the repair's own page
// behind its customer link (/r/{link}: its state, the parcel slip, the estimate and the
// decision). The link is the only key: the pages never name another repair, and a forged,
// unknown or replaced link finds a page that says nothing of any repair. The pages need no
// script and keep their style inline.

//go:embed customer
var customerFiles embed.FS

// customerPages are the customer's templates, in English as the unit's public page is.
var customerPages = template.Must(template.New("").Funcs(template.FuncMap{
	"inc": func(i int) int { return i + 1 },
	"ext": photos.Ext,
}).ParseFS(customerFiles, "customer/*.html"))

// photoStore is what the form needs of the photo store beyond opening photos: checking a
// photo without storing it, storing it, and its size bound. *photos.Store has it.
type photoStore interface {
	Photos
	Check(ctx context.Context, r io.Reader) error
	Put(ctx context.Context, r io.Reader) (photos.Photo, error)
	MaxBytes() int64
}

var _ photoStore = (*photos.Store)(nil)

// Bounds of a repair request.
const (
	// repairFieldBytes bounds a request's fields and the multipart framing around its parts.
	repairFieldBytes = 64 << 10
	// repairFormMemory is how much of a request's photos is held in memory; the rest waits in
	// temporary files, removed when the request ends.
	repairFormMemory = 1 << 20
	// decisionFormBytes bounds a decision's form: one choice.
	decisionFormBytes = 1 << 10
)

// customer serves the customer's pages.
type customer struct {
	p     *Pages
	limit *hourlyLimit
	sent  *sentRequests
}

// customerRoutes registers the customer's pages on e.
func (p *Pages) customerRoutes(e *echo.Echo) {
	cu := &customer{p: p, limit: newHourlyLimit(repairRequestsPerHour), sent: newSentRequests()}
	e.GET("/u/:serial/repair", cu.form)
	e.POST("/u/:serial/repair", cu.request, sameOriginNoReferrer)
	e.GET("/r/:link", cu.page)
	e.GET("/r/:link/photos/:name", cu.photo)
	e.POST("/r/:link/decision", cu.decide, sameOriginNoReferrer)
}

// sameOriginNoReferrer is sameOrigin for the forms of pages sent with Referrer-Policy:
// no-referrer, whose posts a browser sends with Origin "null" even to the page's own origin:
// such a post is taken when the browser also says it is same-origin (Sec-Fetch-Site), which a
// sandboxed or cross-site page cannot make it say. Any other Origin is sameOrigin's to judge.
func sameOriginNoReferrer(next echo.HandlerFunc) echo.HandlerFunc {
	checked := sameOrigin(next)
	return func(c echo.Context) error {
		h := c.Request().Header
		if h.Get("Origin") == "null" {
			if h.Get("Sec-Fetch-Site") != "same-origin" {
				return echo.NewHTTPError(http.StatusForbidden, "this form must be sent from the CellForge pages")
			}
			return next(c)
		}
		return checked(c)
	}
}

// customerHeaders are the headers of every page of the customer's: never kept (the page
// changes with the repair, and a shared device must not show it from its cache), never sent
// on as a referrer (its address is the key to it), never indexed.
func customerHeaders(h http.Header) {
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Robots-Tag", "noindex, nofollow")
	h.Set("Content-Security-Policy", "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
}

// render renders a customer's page whole, then sends it.
func (cu *customer) render(c echo.Context, status int, name string, data any) error {
	var b strings.Builder
	if err := customerPages.ExecuteTemplate(&b, name, data); err != nil {
		return fmt.Errorf("rendering %s: %w", name, err)
	}
	customerHeaders(c.Response().Header())
	return c.HTMLBlob(status, []byte(b.String()))
}

// plain answers with a short page that says msg and nothing else.
func (cu *customer) plain(c echo.Context, status int, title, msg string) error {
	return cu.render(c, status, "plain", plainView{Studio: cu.p.factory().Name, Title: title, Message: msg})
}

type plainView struct {
	Studio, Title, Message string
	Back                   string
}

// notFound is the answer to a forged, unknown or replaced link: it says nothing of any repair.
func (cu *customer) notFound(c echo.Context) error {
	return cu.plain(c, http.StatusNotFound, "Page not found", "There is no page at this address. If you asked for a repair, use the newest link the studio gave you.")
}

// formView is what the repair request form shows.
type formView struct {
	Studio, Product, Serial, Action, Back string
	Kind                                  configs.ItemKind
	MaxPhotos                             int
	MaxPhoto                              string
	// TakesPhotos is false when the pages keep no photo store.
	TakesPhotos bool
	// Nonce tells a request sent twice (a double tap) from two requests.
	Nonce string
	// Values are the fields as sent; Checks the checklist's answers by item id.
	Customer, Contact, Description string
	Checks                         map[string]string
	// Errors are the problems by field: customer, contact, description, checklist.<id>,
	// photos; Other what belongs to no field.
	Errors map[string]string
}

// HasErrors reports whether the form has a problem to show.
func (v formView) HasErrors() bool { return len(v.Errors) > 0 }

// intakeKind returns the unit of the request's serial and the kind of item it is, or answers
// the reason no repair of it can be asked for here (then the unit's serial is empty).
func (cu *customer) intakeKind(c echo.Context) (certify.Unit, configs.ItemKind, error) {
	p := cu.p
	fac := p.factory()
	a := fac.Aftercare
	if a == nil || !a.PublicIntake {
		return certify.Unit{}, configs.ItemKind{}, cu.plain(c, http.StatusNotFound, "Page not found", "This studio takes no repair requests on its public pages.")
	}
	if p.cfg.Units == nil {
		return certify.Unit{}, configs.ItemKind{}, cu.plain(c, http.StatusNotFound, "Page not found", "This studio publishes no unit pages.")
	}
	serial := c.Param("serial")
	u, err := p.cfg.Units.Unit(c.Request().Context(), serial)
	if errors.Is(err, certify.ErrUnknownUnit) {
		return certify.Unit{}, configs.ItemKind{}, cu.plain(c, http.StatusNotFound, "Page not found", fmt.Sprintf("No piece of %s has the serial %q.", fac.Name, serial))
	}
	if err != nil {
		return certify.Unit{}, configs.ItemKind{}, err
	}
	if !u.Finished {
		return certify.Unit{}, configs.ItemKind{}, cu.plain(c, http.StatusConflict, "Not finished yet",
			fmt.Sprintf("The piece %s is still being made: a repair can be asked for once it is finished.", u.Revision.Serial))
	}
	k, ok := a.KindOf(u.Revision.Product.SKU)
	if !ok {
		return certify.Unit{}, configs.ItemKind{}, cu.plain(c, http.StatusNotFound, "No repairs of this piece",
			fmt.Sprintf("%s does not repair pieces like %s here: ask the studio.", fac.Name, u.Revision.Serial))
	}
	return u, k, nil
}

func (cu *customer) newForm(u certify.Unit, k configs.ItemKind) formView {
	base := "/u/" + url.PathEscape(u.Revision.Serial)
	maxPhoto := int64(photos.DefaultMaxBytes)
	ps, takes := cu.p.cfg.Photos.(photoStore)
	if takes {
		maxPhoto = ps.MaxBytes()
	}
	return formView{Studio: cu.p.factory().Name, Product: u.Revision.Product.Name, Serial: u.Revision.Serial,
		Action: base + "/repair", Back: base, Kind: k, MaxPhotos: book.MaxRepairPhotos, MaxPhoto: sizeText(maxPhoto), TakesPhotos: takes, Nonce: newNonce(),
		Checks: map[string]string{}, Errors: map[string]string{}}
}

// form serves the repair request form of a finished unit.
func (cu *customer) form(c echo.Context) error {
	u, k, err := cu.intakeKind(c)
	if err != nil || u.Revision.Serial == "" {
		return err
	}
	return cu.render(c, http.StatusOK, "form", cu.newForm(u, k))
}

// maxRequestBytes bounds a repair request: every photo at the store's limit, and the fields.
func (cu *customer) maxRequestBytes() int64 {
	per := int64(photos.DefaultMaxBytes)
	if ps, ok := cu.p.cfg.Photos.(photoStore); ok {
		per = ps.MaxBytes()
	}
	return book.MaxRepairPhotos*(per+repairFieldBytes) + repairFieldBytes
}

// request takes a repair request: the fields checked by the book, then every photo checked,
// before anything is stored; then the photos stored and the repair opened. A refused request
// shows the form again with what was sent and each problem beside its field, and stores
// nothing.
func (cu *customer) request(c echo.Context) error {
	r := c.Request()
	if wait := cu.limit.take(c.RealIP(), cu.p.cfg.Now()); wait > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		return cu.plain(c, http.StatusTooManyRequests, "Too many requests",
			fmt.Sprintf("This connection has sent %d repair requests in the last hour. Try again in %s.", repairRequestsPerHour, duration(wait.Round(time.Minute))))
	}
	u, k, err := cu.intakeKind(c)
	if err != nil || u.Revision.Serial == "" {
		return err
	}
	ps, hasStore := cu.p.cfg.Photos.(photoStore)
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "multipart/form-data" {
		return cu.plain(c, http.StatusUnsupportedMediaType, "Not a form", "Send the repair request from its form (multipart/form-data).")
	}
	limit := cu.maxRequestBytes()
	r.Body = http.MaxBytesReader(c.Response(), r.Body, limit)
	if err := r.ParseMultipartForm(repairFormMemory); err != nil {
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			return cu.plain(c, http.StatusRequestEntityTooLarge, "Too large",
				fmt.Sprintf("The request is larger than %s: send at most %d photos of at most %s each. Go back and choose fewer or smaller photos.",
					sizeText(limit), book.MaxRepairPhotos, sizeText((limit-repairFieldBytes)/book.MaxRepairPhotos-repairFieldBytes)))
		case errors.Is(err, api.ErrSlowBody):
			return err
		}
		return cu.plain(c, http.StatusBadRequest, "Not a form", "The request could not be read: "+err.Error())
	}
	defer r.MultipartForm.RemoveAll()

	v := cu.newForm(u, k)
	form := r.MultipartForm
	first := func(name string) string {
		if vs := form.Value[name]; len(vs) > 0 {
			return vs[0]
		}
		return ""
	}
	v.Customer, v.Contact, v.Description = first("customer"), first("contact"), first("description")
	if nonce := first("nonce"); validNonce(nonce) {
		v.Nonce = nonce
		// a request sent again (a double tap) is sent on to the repair the first one opened
		key := nonce + "\x00" + u.Revision.Serial + "\x00" + hostOf(c.RealIP())
		sent, firstSent := cu.sent.claim(key, cu.p.cfg.Now())
		if !firstSent {
			link, err := sent.wait(r.Context())
			if err != nil {
				return err
			}
			if link != "" {
				return c.Redirect(http.StatusSeeOther, "/r/"+link)
			}
		} else {
			link := ""
			defer func() { cu.sent.finish(key, sent, link) }()
			return cu.take(c, u, k, v, form, ps, hasStore, &link)
		}
	}
	return cu.take(c, u, k, v, form, ps, hasStore, new(string))
}

// take checks a request's fields and photos, and opens its repair; link is set to the
// repair's link once it is opened.
func (cu *customer) take(c echo.Context, u certify.Unit, k configs.ItemKind, v formView, form *multipart.Form, ps photoStore,
	hasStore bool, link *string) error {
	r := c.Request()
	in := book.RepairIntake{Source: book.SourcePublic, Serial: u.Revision.Serial, Customer: v.Customer, Contact: v.Contact,
		Description: v.Description, Checklist: map[string]string{}}
	for name, vs := range form.Value {
		if id, ok := strings.CutPrefix(name, "checklist."); ok && len(vs) > 0 {
			in.Checklist[id] = vs[0]
			v.Checks[id] = vs[0]
		}
	}
	var files []*multipart.FileHeader
	for _, fh := range form.File["photos"] {
		if fh.Filename == "" && fh.Size == 0 {
			continue // the empty part of a file input left empty
		}
		files = append(files, fh)
	}
	ctx := r.Context()
	if err := cu.p.book.CheckRepairIntake(ctx, in); err != nil {
		if !fieldProblem(err, k, v.Errors) {
			return cu.intakeError(c, err)
		}
	}
	switch {
	case len(files) > 0 && !hasStore:
		v.Errors["photos"] = "This studio takes no photos with repair requests: send the request without them."
	case len(files) > book.MaxRepairPhotos:
		v.Errors["photos"] = fmt.Sprintf("%d photos: send at most %d.", len(files), book.MaxRepairPhotos)
	default:
		var bad []string
		for _, fh := range files {
			if err := checkUpload(ctx, ps, fh); err != nil {
				if !errors.Is(err, photos.ErrNotImage) && !errors.Is(err, photos.ErrTooLarge) {
					return err
				}
				bad = append(bad, fmt.Sprintf("%s: %v", displayName(fh.Filename), err))
			}
		}
		if len(bad) > 0 {
			v.Errors["photos"] = strings.Join(bad, "; ")
		}
	}
	if v.HasErrors() {
		return cu.render(c, http.StatusUnprocessableEntity, "form", v)
	}
	for _, fh := range files {
		ph, err := storeUpload(ctx, ps, fh)
		if err != nil {
			return fmt.Errorf("storing photo %s of a repair request: %w", displayName(fh.Filename), err)
		}
		in.Photos = append(in.Photos, book.RepairPhoto{Hash: ph.Hash, MediaType: ph.MediaType})
	}
	opened, opening, err := cu.p.book.OpenRepair(ctx, in)
	if err != nil {
		// The same checks passed a moment ago; the book may have changed since.
		if fieldProblem(err, k, v.Errors) {
			return cu.render(c, http.StatusUnprocessableEntity, "form", v)
		}
		return cu.intakeError(c, err)
	}
	*link = opening
	reqlog.Logger(ctx, cu.p.log).Info("repair requested on a unit's page", "repair", opened.ID, "serial", opened.Serial, "photos", len(opened.Photos))
	return c.Redirect(http.StatusSeeOther, "/r/"+opening)
}

// fieldProblem puts a *book.FieldError's reason beside its field of the form of kind in errs
// ("other" for a field the form does not show) and reports whether err was one.
func fieldProblem(err error, kind configs.ItemKind, errs map[string]string) bool {
	var fe *book.FieldError
	if !errors.As(err, &fe) {
		return false
	}
	field := fe.Field
	if strings.HasPrefix(field, "photos") {
		field = "photos"
	}
	shown := field == "customer" || field == "contact" || field == "description" || field == "photos"
	for _, it := range kind.Checklist {
		shown = shown || field == "checklist."+it.ID
	}
	if !shown {
		errs["other"] = capitalise(fe.Error()) + "."
		return true
	}
	errs[field] = capitalise(fe.Reason) + "."
	return true
}

// sizeText writes a size in bytes as people read it: in MiB from one MiB, else in KiB.
func sizeText(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d KiB", n>>10)
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// intakeError answers an error of the book on a repair request that is no field's.
func (cu *customer) intakeError(c echo.Context, err error) error {
	switch {
	case errors.Is(err, book.ErrUnknownUnit):
		return cu.plain(c, http.StatusNotFound, "Page not found", fmt.Sprintf("No piece of %s has the serial %q.", cu.p.factory().Name, c.Param("serial")))
	case errors.Is(err, book.ErrNoAftercare):
		return cu.plain(c, http.StatusNotFound, "Page not found", "This studio takes no repair requests on its public pages.")
	}
	return err
}

// displayName is a file's name as the form shows it: its base name, without control
// characters, at most 80 characters.
func displayName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return -1
		}
		return r
	}, name)
	if r := []rune(name); len(r) > 80 {
		name = string(r[:80]) + "…"
	}
	if name == "" {
		name = "a photo"
	}
	return strconv.Quote(name)
}

func checkUpload(ctx context.Context, ps photoStore, fh *multipart.FileHeader) error {
	f, err := fh.Open()
	if err != nil {
		return fmt.Errorf("opening an uploaded photo: %w", err)
	}
	defer f.Close()
	return ps.Check(ctx, f)
}

func storeUpload(ctx context.Context, ps photoStore, fh *multipart.FileHeader) (photos.Photo, error) {
	f, err := fh.Open()
	if err != nil {
		return photos.Photo{}, fmt.Errorf("opening an uploaded photo: %w", err)
	}
	defer f.Close()
	return ps.Put(ctx, f)
}

// repairView is what the customer's page of a repair shows.
type repairView struct {
	Studio string
	R      book.Repair
	Link   string
	// State says where the repair stands, in words; Steps the timeline.
	State string
	Steps []timelineStep
	Kind  configs.ItemKind
	// Checklist is what the customer ticked or wrote, with the items' labels.
	Checklist []checkAnswer
	// Slip is the parcel slip's QR code, while the item has not arrived.
	SlipQR   template.HTML
	StaffURL string
	UnitURL  string
	// Notice says what the last decision sent did (or why not).
	Notice string
	// Decidable is whether the estimate can be decided now.
	Decidable bool
	money     func(configs.Money) string
	date      func(time.Time) string
	// moment writes a day and its time of day.
	moment func(time.Time) string
}

// dayFormats returns the functions that write a day, and a day with its time of day, in loc.
func dayFormats(loc *time.Location) (date, moment func(time.Time) string) {
	return func(t time.Time) string { return t.In(loc).Format("Mon 2 Jan 2006") },
		func(t time.Time) string { return t.In(loc).Format("Mon 2 Jan 2006, 15:04") }
}

// Money writes an amount in the estimate's currency.
func (v repairView) Money(m configs.Money) string { return v.money(m) }

// Date writes a day in the studio's time zone.
func (v repairView) Date(t time.Time) string { return v.date(t) }

// ReadyBy writes when the work is ready by, standard or express: the day, and its time of day
// too when the estimate's standard and express fall on the same day, so that the two differ
// where the customer reads them.
func (v repairView) ReadyBy(t *time.Time) string {
	if t == nil {
		return ""
	}
	if e := v.R.Estimate; e != nil && e.Express != nil && v.date(*e.Express) == v.date(e.Standard) {
		return v.moment(*t)
	}
	return v.date(*t)
}

type timelineStep struct {
	Name, When string
	Done, Now  bool
}

type checkAnswer struct {
	Label, Answer string
	Box           bool
}

// customerStates are the repair's states as the customer reads them.
var customerStates = map[book.RepairState]string{
	book.RepairRequested: "Requested: we are waiting for your parcel.",
	book.RepairReceived:  "Received: the piece is at the studio and waits for its diagnosis.",
	book.RepairEstimated: "Estimated: the studio has looked at the piece and waits for your decision.",
	book.RepairApproved:  "Approved: the work is planned.",
	book.RepairDeclined:  "Declined: no work will be done; the studio will send the piece back.",
	book.RepairExpired:   "Expired: the estimate was not decided in time.",
	book.RepairReady:     "Ready: the work is done.",
	book.RepairReturned:  "Returned: the piece has been handed back or sent.",
}

func (cu *customer) view(c echo.Context, r book.Repair, link string) (repairView, error) {
	p := cu.p
	fac := p.factory()
	v := repairView{Studio: fac.Name, R: r, Link: "/r/" + link, State: customerStates[r.State]}
	currency := configs.DefaultCurrency
	if a := fac.Aftercare; a != nil {
		if a.Currency != "" {
			currency = a.Currency
		}
		v.Kind, _ = a.Kind(r.Kind)
	}
	if r.Estimate != nil && r.Estimate.Currency != "" {
		currency = r.Estimate.Currency
	}
	v.money = func(m configs.Money) string { return currency + " " + m.String() }
	v.date, v.moment = dayFormats(p.loc)
	if r.Serial != "" {
		v.UnitURL = "/u/" + url.PathEscape(r.Serial)
	}
	for _, item := range v.Kind.Checklist {
		if a, ok := r.Checklist[item.ID]; ok {
			v.Checklist = append(v.Checklist, checkAnswer{Label: item.Label, Answer: a, Box: item.Input != configs.CheckText})
		}
	}
	v.Steps = timeline(r, v.date)
	v.Decidable = r.State == book.RepairEstimated && r.Decision == nil
	if r.State == book.RepairRequested {
		v.StaffURL = cu.staffURL(c, r.ID)
		qr, err := qrsvg.SVG(v.StaffURL, "Repair "+r.ID)
		if err != nil {
			return repairView{}, fmt.Errorf("the parcel slip's QR code: %w", err)
		}
		v.SlipQR = qr
	}
	return v, nil
}

// timeline is the repair's path so far and what comes next.
func timeline(r book.Repair, date func(time.Time) string) []timelineStep {
	when := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return date(*t)
	}
	var decided, estimated *time.Time
	if r.Estimate != nil {
		estimated = &r.Estimate.At
	}
	if r.Decision != nil {
		decided = &r.Decision.At
	}
	steps := []timelineStep{
		{Name: "Requested", When: date(r.IntakeAt), Done: true},
		{Name: "Received", When: when(r.ReceivedAt), Done: r.ReceivedAt != nil},
		{Name: "Estimated", When: when(estimated), Done: estimated != nil},
	}
	switch r.State {
	case book.RepairDeclined:
		steps = append(steps, timelineStep{Name: "Declined", When: when(decided), Done: true})
	case book.RepairExpired:
		steps = append(steps, timelineStep{Name: "Expired", When: date(r.Estimate.ExpiresAt), Done: true})
	case book.RepairReturned:
		switch {
		case r.Decision != nil && !r.Decision.Approve:
			steps = append(steps, timelineStep{Name: "Declined", When: when(decided), Done: true})
		case r.Decision == nil && r.Estimate != nil:
			steps = append(steps, timelineStep{Name: "Expired", When: date(r.Estimate.ExpiresAt), Done: true})
		default:
			steps = append(steps, timelineStep{Name: "Approved", When: when(decided), Done: decided != nil},
				timelineStep{Name: "Ready", When: when(r.ReadyAt), Done: r.ReadyAt != nil})
		}
	default:
		steps = append(steps, timelineStep{Name: "Approved", When: when(decided), Done: decided != nil},
			timelineStep{Name: "Ready", When: when(r.ReadyAt), Done: r.ReadyAt != nil})
	}
	steps = append(steps, timelineStep{Name: "Returned", When: when(r.ReturnedAt), Done: r.ReturnedAt != nil})
	// the step the repair stands at: the last one done
	for i := len(steps) - 1; i >= 0; i-- {
		if steps[i].Done {
			steps[i].Now = true
			break
		}
	}
	return steps
}

// staffURL is the address of the repair's staff page, which the parcel slip's QR code holds:
// at the daemon's own address when the pages know it, else at the address the request came
// to.
func (cu *customer) staffURL(c echo.Context, id string) string {
	base := strings.TrimSuffix(cu.p.cfg.StaffURL, "/")
	if base == "" {
		base = c.Scheme() + "://" + c.Request().Host
	}
	return base + "/manager/repairs/" + url.PathEscape(id)
}

// byLink returns the repair of the request's link, or answers 404.
func (cu *customer) byLink(c echo.Context) (book.Repair, bool, error) {
	r, err := cu.p.book.RepairByLink(c.Request().Context(), c.Param("link"))
	if errors.Is(err, book.ErrNotFound) {
		return book.Repair{}, false, cu.notFound(c)
	}
	if err != nil {
		return book.Repair{}, false, err
	}
	return r, true, nil
}

// page serves the customer's page of a repair.
func (cu *customer) page(c echo.Context) error {
	r, ok, err := cu.byLink(c)
	if !ok {
		return err
	}
	v, err := cu.view(c, r, c.Param("link"))
	if err != nil {
		return err
	}
	status := http.StatusOK
	if r.State == book.RepairExpired {
		status = http.StatusGone
	}
	return cu.render(c, status, "repair", v)
}

// photo serves a photo the customer sent with the repair, or its thumbnail: {sha256}.{ext} or
// {sha256}.thumb.jpg. Another repair's photo, or a maker's, is not found here.
func (cu *customer) photo(c echo.Context) error {
	r, ok, err := cu.byLink(c)
	if !ok {
		return err
	}
	f, mediaType, found, err := cu.p.openNamedPhoto(c.Param("name"), r.PhotoType)
	if err != nil {
		return err
	}
	if !found {
		return cu.notFound(c)
	}
	defer f.Close()
	h := c.Response().Header()
	customerHeaders(h)
	h.Set("Cache-Control", "private, max-age=3600")
	return c.Stream(http.StatusOK, mediaType, io.Reader(f))
}

// decide records the customer's decision: approve standard, approve express or decline. The
// book takes one decision of an estimate: a second one (a second submit, a double tap) is
// answered with the page of what was decided, and makes no second work order.
func (cu *customer) decide(c echo.Context) error {
	req := c.Request()
	if mt, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		return cu.plain(c, http.StatusUnsupportedMediaType, "Not a form", "Send the decision from the repair's page.")
	}
	req.Body = http.MaxBytesReader(c.Response(), req.Body, decisionFormBytes)
	if err := req.ParseForm(); err != nil {
		if errors.Is(err, api.ErrSlowBody) {
			return err
		}
		return cu.plain(c, http.StatusBadRequest, "Not a form", "The decision could not be read.")
	}
	var d book.Decision
	switch req.PostFormValue("choice") {
	case "standard":
		d.Approve = true
	case "express":
		d.Approve, d.Express = true, true
	case "decline":
	default:
		return cu.plain(c, http.StatusBadRequest, "Choose", "Choose standard, express or decline on the repair's page.")
	}
	link := c.Param("link")
	r, err := cu.p.book.Decide(req.Context(), link, d, cu.p.cfg.Now())
	var decided *book.DecidedError
	var stateErr *book.RepairStateError
	var fe *book.FieldError
	status, notice := http.StatusOK, ""
	switch {
	case err == nil:
		return c.Redirect(http.StatusSeeOther, "/r/"+link)
	case errors.Is(err, book.ErrNotFound):
		return cu.notFound(c)
	case errors.As(err, &decided) && decided.Decision.Approve == d.Approve && decided.Decision.Express == d.Express:
		// The same decision again (a second submit, a double tap): it holds, and the page
		// says so, as after the first.
		return c.Redirect(http.StatusSeeOther, "/r/"+link)
	case errors.As(err, &decided):
		status, notice = http.StatusConflict, fmt.Sprintf("The estimate was already %s on %s: nothing more was changed.",
			decided.Decision, decided.Decision.At.In(cu.p.loc).Format("Mon 2 Jan 2006 15:04"))
	case errors.Is(err, book.ErrEstimateExpired):
		status = http.StatusGone
	case errors.As(err, &stateErr):
		status, notice = http.StatusConflict, "The estimate cannot be decided now: "+customerStates[stateErr.State]
	case errors.As(err, &fe):
		status, notice = http.StatusUnprocessableEntity, capitalise(fe.Reason)+"."
	default:
		return err
	}
	if status != http.StatusGone || r.ID == "" {
		if r, err = cu.p.book.RepairByLink(req.Context(), link); err != nil {
			if errors.Is(err, book.ErrNotFound) {
				return cu.notFound(c)
			}
			return err
		}
	}
	v, err := cu.view(c, r, link)
	if err != nil {
		return err
	}
	v.Notice = notice
	return cu.render(c, status, "repair", v)
}
