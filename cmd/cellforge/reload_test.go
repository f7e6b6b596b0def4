package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Edits of the demo factory, each old text and its replacement, that the reload tests write.
var (
	addNadia    = []string{"people:\n", "people:\n  - id: nadia\n    name: Nadia Berrada\n    role: operator\n    pin: \"1357\"\n\n"}
	removePriya = []string{"  - id: priya\n    name: Priya Raman\n    role: operator\n    pin: \"5918\"\n", ""}
	kofiManager = []string{"  - id: kofi\n    name: Kofi Mensah\n    role: planner", "  - id: kofi\n    name: Kofi Mensah\n    role: manager"}
	removeTab   = []string{"  - name: floor-tablet\n    role: operator\n    token: demo-operator-token-0001\n", ""}
	teaReason   = []string{"\nsimulate: true\n", "\nsimulate: true\nreasons:\n  fault:\n    - {code: jam, label: Jam}\n    - {code: tea-spill, label: Tea spilt on the warp}\n"}
	testProduct = []string{"products:\n", "products:\n  - sku: TEST-WEAVE\n    name: Test weave\n    routing:\n      - capability: weave\n        unit_time: 10m\n        params: {pattern: 1}\n\n"}
	testWindow  = []string{"      SCARF-GAUZE-INDIGO: 250\n", "      SCARF-GAUZE-INDIGO: 250\n      TEST-WEAVE: 10\n"}
	moveSummer  = []string{"date: 2027-06-14T09:00:00+01:00", "date: 2027-07-01"}
	newLoom     = []string{"cells:\n", "cells:\n  - id: weave-9\n    name: Loom nine\n    capabilities: [weave]\n    devices:\n      - id: loom-9\n        kind: loom\n        address: 192.168.20.99:502\n\n"}
)

// writeDemo writes the demo factory with edits made (each pair: old, new) to path.
func writeDemo(t testing.TB, path string, edits ...[]string) {
	t.Helper()
	data, err := os.ReadFile("../../configs/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, e := range edits {
		for i := 0; i+1 < len(e); i += 2 {
			if !strings.Contains(text, e[i]) {
				t.Fatalf("demo.yaml has no %q", e[i])
			}
			text = strings.Replace(text, e[i], e[i+1], 1)
		}
	}
	// Written whole under another name, then renamed: a reload never reads half a file.
	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// serveHere runs cellforge serve in this process on config until the test ends, and returns
// its address and its logs.
func serveHere(t *testing.T, config string) (string, *logBuffer) {
	t.Helper()
	out, logs := &logBuffer{}, &logBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- serveWith(ctx, []string{"--config", config, "--data", t.TempDir(), "--listen", "127.0.0.1:0",
			"--plan-search", "20ms"}, &env{stdout: out, stderr: logs}, serveOptions{})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	// A daemon of the demo factory takes a while to start under the race detector on a busy
	// machine: longer than logBuffer.waitFor waits.
	eventually(t, "serve starts", func() bool {
		select {
		case err := <-served:
			served <- err
			t.Fatalf("serve exited: %v\n%s", err, logs)
		default:
		}
		return servingLine.MatchString(out.String())
	}, 3*time.Minute)
	return servingLine.FindStringSubmatch(out.String())[1], logs
}

// answer is an HTTP answer: its status and body.
type answer struct {
	status int
	body   []byte
}

func (a answer) String() string { return fmt.Sprintf("%d %s", a.status, a.body) }

// call sends a request with a bearer token (none when empty) and a JSON body (none when nil).
func call(t testing.TB, method, url, token string, body any) answer {
	t.Helper()
	var r io.Reader
	if body != nil {
		raw, ok := body.([]byte)
		if !ok {
			raw, _ = json.Marshal(body)
		}
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	if strings.HasSuffix(url, "/orders") {
		req.Header.Set("Content-Type", "text/csv")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, b}
}

// signInWith signs a person in with a PIN or a password and returns the answer.
func signInWith(t testing.TB, base, person, pin, password string) answer {
	return call(t, "POST", base+"/api/v1/auth/signin", "", map[string]string{"person": person, "pin": pin, "password": password})
}

// sessionOf signs a person in and returns the session's token.
func sessionOf(t testing.TB, base, person, pin, password string) string {
	t.Helper()
	a := signInWith(t, base, person, pin, password)
	var s struct {
		Token string `json:"token"`
	}
	if a.status != http.StatusOK || json.Unmarshal(a.body, &s) != nil {
		t.Fatalf("sign in as %s: %s", person, a)
	}
	return s.Token
}

type reloadAnswer struct {
	Changes []struct {
		Section, ID, What string
	} `json:"changes"`
	Error struct {
		Code   string   `json:"code"`
		Errors []string `json:"errors"`
	} `json:"error"`
}

// reload asks the daemon to reload as the demo admin (token: a session of sam's).
func reload(t testing.TB, base, token string) (int, reloadAnswer) {
	t.Helper()
	a := call(t, "POST", base+"/api/v1/admin/reload", token, nil)
	var out reloadAnswer
	if err := json.Unmarshal(a.body, &out); err != nil {
		t.Fatalf("reload: %s", a)
	}
	return a.status, out
}

func (r reloadAnswer) changes() []string {
	var out []string
	for _, c := range r.Changes {
		out = append(out, c.Section+": "+c.ID+" "+c.What)
	}
	return out
}

// eventually polls cond until it holds or 30 seconds (or within) pass.
func eventually(t testing.TB, what string, cond func() bool, within ...time.Duration) {
	t.Helper()
	wait := 30 * time.Second
	if len(within) > 0 {
		wait = within[0]
	}
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %s", what, wait)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestReloadAppliesEachChangeAtOnce reloads the demo factory with a change of every kind a
// running daemon takes, and sees each through the API at once.
func TestReloadAppliesEachChangeAtOnce(t *testing.T) {
	t.Parallel()
	config := filepath.Join(t.TempDir(), "factory.yaml")
	writeDemo(t, config)
	base, logs := serveHere(t, config)
	admin := sessionOf(t, base, "sam", "", "demo-admin-password")
	priya := sessionOf(t, base, "priya", "5918", "")
	kofi := sessionOf(t, base, "kofi", "", "demo-planner-password")
	if a := call(t, "POST", base+"/api/v1/drops/summer-27/orders", demoPlanner, []byte("order_id,sku,quantity\nR1,THROW-WAFFLE-OAT,1\n")); a.status != http.StatusCreated {
		t.Fatalf("import into summer-27: %s", a)
	}
	if a := call(t, "POST", base+"/api/v1/drops/spring-27/orders", demoPlanner, []byte("order_id,sku,quantity\nT0,TEST-WEAVE,1\n")); a.status != http.StatusUnprocessableEntity {
		t.Fatalf("import of a product the factory lacks: %s, want 422", a)
	}
	if code, _ := reload(t, base, demoPlanner); code != http.StatusForbidden {
		t.Fatalf("reload as a planner: %d, want 403", code)
	}

	writeDemo(t, config, addNadia, removePriya, kofiManager, removeTab, teaReason, testProduct, testWindow, moveSummer, newLoom)
	code, ans := reload(t, base, admin)
	if code != http.StatusOK {
		t.Fatalf("reload: %d %+v", code, ans)
	}
	want := []string{"people: nadia added", "people: kofi changed", "people: priya removed", "tokens: floor-tablet removed",
		"reasons: fault/tea-spill added", "products: TEST-WEAVE added", "drops: spring-27 changed", "drops: summer-27 changed", "cells: weave-9 added"}
	for _, w := range want {
		if !slices.Contains(ans.changes(), w) {
			t.Errorf("the reload's changes %q lack %q", ans.changes(), w)
		}
	}
	if !strings.Contains(logs.String(), "factory file applied") || !strings.Contains(logs.String(), "cells: weave-9 added") {
		t.Errorf("the reload is not logged with its changes:\n%s", logs)
	}

	t.Run("a new person signs in", func(t *testing.T) { sessionOf(t, base, "nadia", "1357", "") })
	t.Run("a removed person neither signs in nor keeps a session", func(t *testing.T) {
		if a := signInWith(t, base, "priya", "5918", ""); a.status != http.StatusUnauthorized {
			t.Errorf("sign-in of a removed person: %s", a)
		}
		if a := call(t, "GET", base+"/api/v1/auth/whoami", priya, nil); a.status != http.StatusUnauthorized {
			t.Errorf("the session of a removed person: %s", a)
		}
	})
	t.Run("a role changed ends the session, the next has the new role", func(t *testing.T) {
		if a := call(t, "GET", base+"/api/v1/auth/whoami", kofi, nil); a.status != http.StatusUnauthorized {
			t.Errorf("the session signed in as a planner: %s", a)
		}
		again := sessionOf(t, base, "kofi", "", "demo-planner-password")
		if a := call(t, "GET", base+"/api/v1/auth/whoami", again, nil); !strings.Contains(string(a.body), `"role":"manager"`) {
			t.Errorf("whoami after signing in again: %s", a)
		}
	})
	t.Run("a removed token is refused", func(t *testing.T) {
		if a := call(t, "GET", base+"/api/v1/cells", demoOperator, nil); a.status != http.StatusUnauthorized {
			t.Errorf("the removed token: %s", a)
		}
	})
	t.Run("a new reason is offered", func(t *testing.T) {
		a := call(t, "POST", base+"/api/v1/cells/wash-1/fault", admin, map[string]string{"code": "not-a-reason"})
		if !strings.Contains(string(a.body), "tea-spill") {
			t.Errorf("the fault reasons offered: %s", a)
		}
	})
	t.Run("a new product can be imported", func(t *testing.T) {
		if a := call(t, "POST", base+"/api/v1/drops/spring-27/orders", demoPlanner, []byte("order_id,sku,quantity\nT1,TEST-WEAVE,1\n")); a.status != http.StatusCreated {
			t.Errorf("import of the new product: %s", a)
		}
	})
	t.Run("a drop moved is planned at its new date", func(t *testing.T) {
		eventually(t, "summer-27 planned on 2027-07-01", func() bool {
			var plan struct {
				Drops []struct {
					Drop string    `json:"drop"`
					Date time.Time `json:"date"`
				} `json:"drops"`
			}
			a := call(t, "GET", base+"/api/v1/plan", demoPlanner, nil)
			json.Unmarshal(a.body, &plan)
			for _, d := range plan.Drops {
				if d.Drop == "summer-27" {
					return d.Date.Equal(time.Date(2027, 7, 1, 0, 0, 0, 0, time.UTC))
				}
			}
			return false
		})
	})
	t.Run("a new cell's queue appears and its simulated machine runs", func(t *testing.T) {
		if a := call(t, "GET", base+"/api/v1/cells/weave-9/queue", demoPlanner, nil); a.status != http.StatusOK {
			t.Errorf("the new cell's queue: %s", a)
		}
		eventually(t, "weave-9's loom online", func() bool {
			var c struct {
				Status struct {
					Online  bool   `json:"online"`
					Machine string `json:"machine"`
				} `json:"status"`
			}
			json.Unmarshal(call(t, "GET", base+"/api/v1/cells/weave-9", demoPlanner, nil).body, &c)
			return c.Status.Online && c.Status.Machine != ""
		})
	})
}

// TestReloadRefusesWhole writes factory files a running daemon must refuse: each answers its
// problems by file:line, and nothing of it applies (not even the person it adds).
func TestReloadRefusesWhole(t *testing.T) {
	t.Parallel()
	config := filepath.Join(t.TempDir(), "factory.yaml")
	writeDemo(t, config)
	base, _ := serveHere(t, config)
	admin := sessionOf(t, base, "sam", "", "demo-admin-password")
	if a := call(t, "POST", base+"/api/v1/drops/spring-27/orders", demoPlanner, []byte("order_id,sku,quantity\nS1,SCARF-GAUZE-INDIGO,1\n")); a.status != http.StatusCreated {
		t.Fatalf("import: %s", a)
	}
	tests := []struct {
		name   string
		edits  [][]string
		status int
		code   string
		want   string
	}{
		{"a syntax error", [][]string{addNadia, {"\nsimulate: true\n", "\nsimulate: [true\n"}}, http.StatusUnprocessableEntity, "config_invalid", config + ":"},
		{"an unknown product in a drop", [][]string{addNadia, {"      SCARF-GAUZE-INDIGO: 250\n", "      SCARF-GAUZE-INDIGO: 250\n      NO-SUCH-SKU: 5\n"}},
			http.StatusUnprocessableEntity, "config_invalid", "NO-SUCH-SKU"},
		{"a bad working-hours line", [][]string{addNadia, {"\nsimulate: true\n", "\nsimulate: true\nhours:\n  days: [mon]\n  open: \"25:00\"\n  close: \"18:00\"\n"}},
			http.StatusUnprocessableEntity, "config_invalid", config + ":"},
		{"a change that needs a restart", [][]string{addNadia, {"site: loom-lantern", "site: loom-elsewhere"}}, http.StatusConflict, "restart_needed", "site changed"},
		{"a cell removed", [][]string{addNadia, {"  - id: wash-1\n", "  - id: wash-7\n"}}, http.StatusConflict, "restart_needed", `cell "wash-1" removed`},
		{"a routing changed under open work", [][]string{addNadia, {"      - capability: wash\n        material_cost: 0.20\n        name: Hand rinse\n        unit_time: 8m\n", ""}},
			http.StatusUnprocessableEntity, "config_invalid", `product "SCARF-GAUZE-INDIGO": routing: other steps while 1 open work orders`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			writeDemo(t, config, tc.edits...)
			code, ans := reload(t, base, admin)
			if code != tc.status || ans.Error.Code != tc.code {
				t.Fatalf("reload: %d %+v, want %d %s", code, ans, tc.status, tc.code)
			}
			all := strings.Join(ans.Error.Errors, "\n")
			if !strings.Contains(all, tc.want) {
				t.Errorf("the problems %q do not say %q", all, tc.want)
			}
			if tc.code == "config_invalid" && !strings.Contains(all, config) {
				t.Errorf("the problems %q do not name file:line", all)
			}
			if a := signInWith(t, base, "nadia", "1357", ""); a.status != http.StatusUnauthorized {
				t.Errorf("the person the refused file adds signs in: %s", a)
			}
			if a := call(t, "GET", base+"/api/v1/cells/wash-1", demoPlanner, nil); a.status != http.StatusOK {
				t.Errorf("a cell of the running config: %s", a)
			}
		})
	}
}

// TestReloadsAtOnceAndUnderRequests reloads twenty times at once, then again and again while
// requests stream in: every answer is the old config or the new one, whole, never a mix.
func TestReloadsAtOnceAndUnderRequests(t *testing.T) {
	t.Parallel()
	config := filepath.Join(t.TempDir(), "factory.yaml")
	writeDemo(t, config)
	base, _ := serveHere(t, config)
	admin := sessionOf(t, base, "sam", "", "demo-admin-password")

	writeDemo(t, config, addNadia)
	var wg sync.WaitGroup
	var mu sync.Mutex
	applied := 0
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, ans := reload(t, base, admin)
			if code != http.StatusOK {
				t.Errorf("one of twenty reloads at once: %d %+v", code, ans)
			}
			mu.Lock()
			applied += len(ans.Changes)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if applied != 1 {
		t.Errorf("twenty reloads of one change applied %d changes, want it once", applied)
	}

	// Two products come and go together: a reader seeing one without the other saw a mix.
	two := []string{"products:\n", "products:\n" +
		"  - sku: PAIR-A\n    name: Pair A\n    routing:\n      - capability: weave\n        unit_time: 10m\n        params: {pattern: 1}\n" +
		"  - sku: PAIR-B\n    name: Pair B\n    routing:\n      - capability: weave\n        unit_time: 10m\n        params: {pattern: 1}\n\n"}
	ctx, stop := context.WithCancel(context.Background())
	reads := 0
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				a := call(t, "GET", base+"/api/v1/products", demoPlanner, nil)
				var ps []struct {
					SKU string `json:"sku"`
				}
				if a.status != http.StatusOK || json.Unmarshal(a.body, &ps) != nil {
					t.Errorf("products during reloads: %s", a)
					return
				}
				has := func(sku string) bool {
					return slices.ContainsFunc(ps, func(p struct {
						SKU string `json:"sku"`
					}) bool {
						return p.SKU == sku
					})
				}
				if has("PAIR-A") != has("PAIR-B") {
					t.Errorf("a read saw one product of the pair without the other: %s", a.body)
				}
				mu.Lock()
				reads++
				mu.Unlock()
			}
		}()
	}
	for i := range 6 {
		if i%2 == 0 {
			writeDemo(t, config, addNadia, two)
		} else {
			writeDemo(t, config, addNadia)
		}
		if code, ans := reload(t, base, admin); code != http.StatusOK || len(ans.Changes) != 2 {
			t.Errorf("reload %d under requests: %d %+v, want the pair added or removed", i, code, ans)
		}
	}
	stop()
	wg.Wait()
	if reads == 0 {
		t.Error("no read was made during the reloads")
	}
}

// TestReloadFromTheAdminsPage presses the admin page's button twice at once: each press
// reloads whole (the second finds nothing changed); a manager has no button to press.
func TestReloadFromTheAdminsPage(t *testing.T) {
	t.Parallel()
	config := filepath.Join(t.TempDir(), "factory.yaml")
	writeDemo(t, config)
	base, _ := serveHere(t, config)
	browser := func(person, password string) *http.Client {
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, Timeout: 3 * time.Minute}
		form := url.Values{"person": {person}, "password": {password}, "next": {"/admin"}}
		resp, err := c.PostForm(base+"/signin", form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return c
	}
	press := func(c *http.Client, origin string) answer {
		req, _ := http.NewRequest("POST", base+"/admin/reload", strings.NewReader(""))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", origin)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return answer{resp.StatusCode, b}
	}
	sam := browser("sam", "demo-admin-password")
	resp, err := sam.Get(base + "/admin")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), `id="admin-reload"`) {
		t.Fatalf("the admin's page: %d %s", resp.StatusCode, page)
	}
	if a := press(sam, "http://evil.example"); a.status != http.StatusForbidden {
		t.Errorf("a press from another site: %d, want 403", a.status)
	}
	if a := press(browser("ines", "demo-manager-password"), base); a.status != http.StatusForbidden {
		t.Errorf("a manager's press: %d, want 403", a.status)
	}

	writeDemo(t, config, addNadia)
	var wg sync.WaitGroup
	answers := make([]answer, 2)
	for i := range answers {
		wg.Add(1)
		go func() { defer wg.Done(); answers[i] = press(sam, base) }()
	}
	wg.Wait()
	added := 0
	for _, a := range answers {
		if a.status != http.StatusOK || !strings.Contains(string(a.body), `id="admin-done"`) {
			t.Errorf("a press of the double tap: %d %s", a.status, a.body)
		}
		added += strings.Count(string(a.body), "people: nadia added")
	}
	if added != 1 {
		t.Errorf("the double tap applied the change %d times, want once", added)
	}
	sessionOf(t, base, "nadia", "1357", "")

	writeDemo(t, config, addNadia, []string{"\nsimulate: true\n", "\nsimulate: [true\n"})
	a := press(sam, base)
	if a.status != http.StatusUnprocessableEntity || !strings.Contains(string(a.body), `id="admin-errors"`) || !strings.Contains(string(a.body), config+":") {
		t.Errorf("a press with a broken file: %d %s", a.status, a.body)
	}
}

// TestReloadOnHangup sends a real SIGHUP to a real cellforge serve: the change applies, then a
// broken file is logged with its file:line and the daemon goes on with the config it runs.
func TestReloadOnHangup(t *testing.T) {
	config := filepath.Join(t.TempDir(), "factory.yaml")
	writeDemo(t, config)
	d := startDaemon(t, config, t.TempDir())
	writeDemo(t, config, addNadia)
	if err := d.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	eventually(t, "nadia signs in after SIGHUP", func() bool { return signInWith(t, d.url, "nadia", "1357", "").status == http.StatusOK })
	if !strings.Contains(d.logs(), "people: nadia added") {
		t.Errorf("the reload is not logged with its change:\n%s", d.logs())
	}

	writeDemo(t, config, []string{"\nsimulate: true\n", "\nsimulate: [true\n"})
	if err := d.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the broken file logged", func() bool { return strings.Contains(d.logs(), "factory file refused on SIGHUP") })
	if !strings.Contains(d.logs(), config+":") {
		t.Errorf("the refusal does not name file:line:\n%s", d.logs())
	}
	if a := signInWith(t, d.url, "nadia", "1357", ""); a.status != http.StatusOK {
		t.Errorf("after a refused SIGHUP, the running config's person: %s", a)
	}
	select {
	case err := <-d.done:
		t.Fatalf("the daemon exited: %v\n%s", err, d.logs())
	default:
	}
}

// TestHangupWhileStartingIsNotFatal sends SIGHUP to a daemon that has claimed its data
// directory and is still starting (systemd may send it as soon as the daemon says it is ready,
// before every part runs): the daemon goes on to serve, the file read again once it does.
func TestHangupWhileStartingIsNotFatal(t *testing.T) {
	config := filepath.Join(t.TempDir(), "factory.yaml")
	writeDemo(t, config, addNadia)
	data := t.TempDir()
	d, lines := launch(t, nil, "serve", "--config", config, "--data", data, "--listen", "127.0.0.1:0")
	eventually(t, "the data directory claimed", func() bool {
		_, err := os.Stat(filepath.Join(data, daemonLock))
		return err == nil
	})
	if err := d.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	d.awaitServing(t, lines, "serve")
	eventually(t, "nadia signs in", func() bool { return signInWith(t, d.url, "nadia", "1357", "").status == http.StatusOK })
	select {
	case err := <-d.done:
		t.Fatalf("the daemon exited: %v\n%s", err, d.logs())
	default:
	}
}
