package hub

import (
	"io/fs"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/cellforge/cellforge/api"
	"github.com/cellforge/cellforge/api/reqlog"
	"github.com/cellforge/cellforge/book/network"
)

func (s *server) dashboardRoutes(e *echo.Echo) {
	static, _ := fs.Sub(staticFiles, "static")
	e.GET("/network/static/*", echo.WrapHandler(http.StripPrefix("/network/static/", http.FileServerFS(static))))
	e.GET("/network/signin", s.signInPage)
	e.POST("/network/signin", s.signIn, sameOriginForm)

	g := e.Group("/network", s.signedIn)
	g.GET("", s.networkPage)
	g.POST("/signout", s.signOut, sameOriginForm)
	g.GET("/orders/:id", s.orderPage)
	g.POST("/orders/:id/move", s.moveForm, sameOriginForm, require(permRoute))
	g.GET("/sites/:site/gone", s.goneConfirm, require(permGone))
	g.POST("/sites/:site/gone", s.goneForm, sameOriginForm, require(permGone))
}

// signedIn requires the dashboard's cookie; a page asked without one goes to the sign-in.
func (s *server) signedIn(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		p, ok := s.fromCookie(c.Request())
		if !ok {
			if c.Request().Method == http.MethodGet {
				return c.Redirect(http.StatusSeeOther, "/network/signin?next="+url.QueryEscape(c.Request().URL.RequestURI()))
			}
			return api.NewError(http.StatusUnauthorized, api.CodeUnauthorized, "sign in at /network/signin first")
		}
		c.Set(principalKey, p)
		return next(c)
	}
}

// sameOriginForm refuses a form posted from a page of another origin.
func sameOriginForm(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if why := sameOrigin(c.Request()); why != "" {
			return api.NewError(http.StatusForbidden, api.CodeCSRF, "form refused: %s", why)
		}
		return next(c)
	}
}

type signInView struct {
	Next    string
	Problem string
}

// localNext keeps a next= that is a path of the dashboard, so that the sign-in cannot send a
// browser elsewhere.
func localNext(next string) string {
	if u, err := url.Parse(next); err == nil && u.Scheme == "" && u.Host == "" && isPage(u.Path) {
		return u.RequestURI()
	}
	return "/network"
}

func (s *server) signInPage(c echo.Context) error {
	return s.render(c, http.StatusOK, "signin", "Sign in", signInView{Next: localNext(c.QueryParam("next"))})
}

func (s *server) signIn(c echo.Context) error {
	next := localNext(c.FormValue("next"))
	p, ok := s.tokens.lookup(c.FormValue("token"))
	if !ok {
		return s.render(c, http.StatusUnauthorized, "signin", "Sign in",
			signInView{Next: next, Problem: "That token is not one of the hub's tokens."})
	}
	c.SetCookie(s.cookies.issue(p.Name, c.Scheme() == "https"))
	reqlog.Logger(c.Request().Context(), s.log).Info("dashboard sign-in", "token", p.Name)
	return c.Redirect(http.StatusSeeOther, next)
}

func (s *server) signOut(c echo.Context) error {
	c.SetCookie(&http.Cookie{Name: cookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	return c.Redirect(http.StatusSeeOther, "/network/signin")
}

// networkView is the dashboard's main page.
type networkView struct {
	Sites  []SiteView
	Drops  []DropView
	Filter network.OrderFilter
	State  string
	Orders []network.Order
	Next   string // the query of the next page of orders, when there is one
	CSV    string // the address of the CSV of the orders the filter selects
	// CanGone tells whether the principal may mark sites gone.
	CanGone bool
	// Repairs are the network's repairs the site and state filters select, by site (waiting
	// first) and id; MoreRepairs says more match than the page shows.
	Repairs     []network.Repair
	MoreRepairs bool
}

// dashboardPage is how many orders the page lists at a time.
const dashboardPage = 200

func (s *server) networkPage(c echo.Context) error {
	ctx := c.Request().Context()
	f, err := filter(c)
	if err != nil {
		return err
	}
	v := networkView{Filter: f, State: c.QueryParam("state"), CanGone: allowed(principal(c).Role, permGone)}
	if v.Sites, err = s.siteViews(ctx); err != nil {
		return err
	}
	if v.Drops, err = s.dropViews(ctx); err != nil {
		return err
	}
	if v.Repairs, v.MoreRepairs, err = s.repairsBySite(ctx, f); err != nil {
		return err
	}
	f.Limit = dashboardPage + 1
	if v.Orders, err = s.hub.Orders(ctx, f); err != nil {
		return err
	}
	q := url.Values{}
	for k, val := range map[string]string{"site": f.Site, "drop": f.Drop, "state": v.State} {
		if val != "" {
			q.Set(k, val)
		}
	}
	if len(v.Orders) > dashboardPage {
		v.Orders = v.Orders[:dashboardPage]
		next := url.Values{}
		for k := range q {
			next.Set(k, q.Get(k))
		}
		next.Set("after", v.Orders[dashboardPage-1].OrderID)
		v.Next = "/network?" + next.Encode()
	}
	q.Set("format", "csv")
	v.CSV = "/api/v1/network/orders?" + q.Encode()
	return s.render(c, http.StatusOK, "network", "Network", v)
}

// orderPageView is an order's page.
type orderPageView struct {
	Order   network.Order
	Routes  []network.Route
	Sites   []SiteView
	CanMove bool
	Moved   string
}

func (s *server) orderPage(c echo.Context) error {
	ctx := c.Request().Context()
	o, routes, err := s.hub.Order(ctx, c.Param("id"))
	if err != nil {
		return err
	}
	v := orderPageView{Order: o, Routes: routes, Moved: c.QueryParam("moved"),
		CanMove: allowed(principal(c).Role, permRoute) && o.State.Moveable()}
	if v.CanMove {
		if v.Sites, err = s.siteViews(ctx); err != nil {
			return err
		}
	}
	return s.render(c, http.StatusOK, "order", "Order "+o.OrderID, v)
}

func (s *server) moveForm(c echo.Context) error {
	id, site := c.Param("id"), c.FormValue("site")
	if site == "" {
		return api.NewError(http.StatusBadRequest, api.CodeInvalid, "choose the site to move order %q to", id)
	}
	if _, err := s.hub.Move(c.Request().Context(), id, site, principal(c).Name); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/network/orders/"+url.PathEscape(id)+"?moved="+url.QueryEscape(site))
}

// goneView is the confirmation, and the answer, of marking a site gone.
type goneView struct {
	Site     SiteView
	Done     bool
	Rerouted int
	// Already says the site was gone before the form was sent: a form sent twice answers so
	// the second time, rather than that nothing was put back.
	Already bool
}

func (s *server) goneConfirm(c echo.Context) error {
	v, err := s.siteView(c, c.Param("site"))
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "gone", "Mark "+v.ID+" gone", goneView{Site: v})
}

func (s *server) goneForm(c echo.Context) error {
	site := c.Param("site")
	if c.FormValue("confirm") != site {
		return api.NewError(http.StatusBadRequest, api.CodeInvalid, "confirm by typing the site's id %q", site)
	}
	before, err := s.siteView(c, site)
	if err != nil {
		return err
	}
	n, err := s.hub.MarkGone(c.Request().Context(), site, principal(c).Name)
	if err != nil {
		return err
	}
	v, err := s.siteView(c, site)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "gone", v.ID+" is gone", goneView{Site: v, Done: true, Rerouted: n, Already: before.Gone})
}

// siteView returns one site's view; ErrUnknownSite when the book holds none of that id.
func (s *server) siteView(c echo.Context, id string) (SiteView, error) {
	views, err := s.siteViews(c.Request().Context())
	if err != nil {
		return SiteView{}, err
	}
	for _, v := range views {
		if v.ID == id {
			return v, nil
		}
	}
	return SiteView{}, api.NewError(http.StatusNotFound, api.CodeNotFound, "%v %q", network.ErrUnknownSite, id)
}
