package api

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// from is an HTTP client whose connections come from a loopback address of its own
// (127.0.0.2, ...), as a tablet of its own would.
func from(t *testing.T, addr string) *http.Client {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(addr)}, Timeout: 5 * time.Second}
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}}
}

// signInFrom posts a PIN sign-in of person from a client and returns the status.
func (ts *testServer) signInFrom(t *testing.T, c *http.Client, person, pin string) int {
	t.Helper()
	req, err := http.NewRequest("POST", ts.URL+"/api/v1/auth/signin", strings.NewReader(fmt.Sprintf(`{"person":%q,"pin":%q}`, person, pin)))
	if err != nil {
		t.Error(err)
		return 0
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := c.Do(req)
	if err != nil {
		t.Error(err)
		return 0
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// TestGuessesSentTogetherAreCountedBeforeTheyAreChecked sends wrong PINs for one person all at
// once: no more are checked (401) than the limits allow, the others are refused unchecked (429),
// and the right PIN sent after them is refused too.
func TestGuessesSentTogetherAreCountedBeforeTheyAreChecked(t *testing.T) {
	tests := []struct {
		name      string
		addresses []string // the guesses come from these in turn
		guesses   int
		checked   int
	}{
		{name: "one address", addresses: []string{"127.0.0.1"}, guesses: 12, checked: addressFailures},
		{name: "eight addresses", addresses: []string{"127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6", "127.0.0.7", "127.0.0.8"},
			guesses: 40, checked: personFailures},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A real bcrypt cost: the time a check takes is the window the guesses race in.
			ts := newTestServerConfig(t, func(c *Config) { c.BcryptCost = 8 })
			clients := make([]*http.Client, len(tt.addresses))
			for i, a := range tt.addresses {
				clients[i] = from(t, a)
			}
			statuses := make([]int, tt.guesses)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range tt.guesses {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					statuses[i] = ts.signInFrom(t, clients[i%len(clients)], "ana", fmt.Sprintf("9%03d", i))
				}()
			}
			close(start)
			wg.Wait()
			count := map[int]int{}
			for _, s := range statuses {
				count[s]++
			}
			if count[http.StatusUnauthorized] != tt.checked || count[http.StatusTooManyRequests] != tt.guesses-tt.checked {
				t.Errorf("%d guesses at once: %v by status; want %d checked (401) and the rest refused (429)", tt.guesses, count, tt.checked)
			}
			last := clients[len(clients)-1]
			if s := ts.signInFrom(t, last, "ana", "1234"); s != http.StatusTooManyRequests {
				t.Errorf("the right PIN after the guesses: %d, want 429", s)
			}
		})
	}
}

// TestLockoutsSurviveARestart: a server started again on the same store keeps the lockout.
func TestLockoutsSurviveARestart(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	for i := range addressFailures {
		if _, err := ts.api.SignIn(ctx, SignInRequest{Person: "ana", PIN: fmt.Sprintf("900%d", i), Client: "10.0.0.7"}); !errors.Is(err, ErrWrongCredentials) {
			t.Fatalf("wrong pin %d: %v", i, err)
		}
	}
	again, err := New(Config{Book: ts.book, Sessions: ts.store, Lockouts: ts.store, BcryptCost: 4, Now: func() time.Time { return *ts.now.Load() }})
	if err != nil {
		t.Fatal(err)
	}
	var limited *RateLimitedError
	if _, err := again.SignIn(ctx, SignInRequest{Person: "ana", PIN: "1234", Client: "10.0.0.7"}); !errors.As(err, &limited) {
		t.Fatalf("the right PIN after a restart: %v, want a *RateLimitedError", err)
	}
}

// TestLockoutsArePerAddressFirst: wrong PINs at one tablet lock the person out there, not at
// another; wrong PINs from many addresses lock the person out everywhere but at the address
// they last signed in from.
func TestLockoutsArePerAddressFirst(t *testing.T) {
	type step struct {
		name, pin, client string
		want              string // "ok", "wrong" or "limited"
	}
	guesses := func(name string, n int, client func(i int) string) []step {
		var out []step
		for i := range n {
			out = append(out, step{fmt.Sprintf("%s %d", name, i), "0000", client(i), "wrong"})
		}
		return out
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{
			name: "tablets",
			steps: slices.Concat(
				[]step{{"her tablet", "1234", "10.0.0.1", "ok"}},
				guesses("a guess at another tablet", addressFailures, func(int) string { return "10.0.0.66" }),
				[]step{
					{"the other tablet is locked out", "1234", "10.0.0.66", "limited"},
					{"a third tablet is not", "1234", "10.0.0.2", "ok"},
				},
				// A few from each of many addresses, up to the person's total.
				guesses("a guess from many", personFailures-addressFailures, func(i int) string { return fmt.Sprintf("10.0.1.%d", i/(addressFailures-1)) }),
				[]step{
					{"a new address is locked out", "1234", "10.0.2.1", "limited"},
					{"so is one she signed in at before", "1234", "10.0.0.1", "limited"},
					{"but not the one she signed in at last", "1234", "10.0.0.2", "ok"},
				},
			),
		},
		{
			// Every tablet of one IPv6 network has an address in the same /64: each is a tablet
			// of its own, as an IPv4 address is.
			name: "IPv6 tablets",
			steps: slices.Concat(
				[]step{{"her tablet", "1234", "2001:db8::1", "ok"}},
				guesses("a guess at another tablet of the /64", addressFailures, func(int) string { return "2001:db8::66" }),
				[]step{
					{"the other tablet is locked out", "1234", "2001:db8::66", "limited"},
					{"her tablet in the same /64 is not", "1234", "2001:db8::1", "ok"},
					{"nor a third one", "1234", "2001:db8::2", "ok"},
				},
				// A few from each of many networks, up to the person's total: where she signed in
				// last is her tablet's address, not its /64.
				guesses("a guess from many", personFailures-addressFailures,
					func(i int) string { return fmt.Sprintf("2001:db8:0:%x::1", i/(addressFailures-1)+1) }),
				[]step{
					{"a new address of her /64 is locked out", "1234", "2001:db8::ffff", "limited"},
					{"so is one she signed in at before", "1234", "2001:db8::1", "limited"},
					{"but not the one she signed in at last", "1234", "2001:db8::2", "ok"},
				},
			),
		},
		{
			// fe80::/64 is every link-local address of the network.
			name: "link-local tablets",
			steps: slices.Concat(
				[]step{{"her tablet", "1234", "fe80::1", "ok"}},
				guesses("a guess at another tablet", addressFailures, func(int) string { return "fe80::66" }),
				[]step{
					{"the other tablet is locked out", "1234", "fe80::66", "limited"},
					{"hers is not", "1234", "fe80::1", "ok"},
				},
			),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t)
			for _, st := range tt.steps {
				ts.advance(100 * time.Millisecond)
				_, err := ts.api.SignIn(context.Background(), SignInRequest{Person: "ana", PIN: st.pin, Client: st.client})
				var limited *RateLimitedError
				got := "ok"
				switch {
				case errors.As(err, &limited):
					got = "limited"
				case errors.Is(err, ErrWrongCredentials):
					got = "wrong"
				case err != nil:
					t.Fatalf("%s: %v", st.name, err)
				}
				if got != st.want {
					t.Fatalf("%s: PIN %s from %s is %s (%v), want %s", st.name, st.pin, st.client, got, err, st.want)
				}
			}
		})
	}
}

// TestGuessesPerDayAreBounded plays an attacker who guesses one person's PIN as fast as the
// limits let them for three days: from one address, from a new address whenever that helps, and
// from new addresses and the address the person last signed in from. The most PINs checked in
// any 24 hours are the bounds docs/SECURITY.md states.
func TestGuessesPerDayAreBounded(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	l := ts.api.auth.limits
	t0 := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	fresh := func(prefix string) func(i int) string {
		return func(i int) string { return fmt.Sprintf("%s.%d.%d", prefix, i/250, i%250) }
	}
	// fresh6 walks through the addresses of an IPv6 /64.
	fresh6 := func(prefix string) func(i int) string {
		return func(i int) string { return fmt.Sprintf("%s:%x", prefix, i+2) }
	}
	tests := []struct {
		name string
		// tablet is where the person last signed in; 10.0.0.1 when empty.
		tablet string
		// addresses are those to try at the i-th guess, in the attacker's order of preference.
		addresses func(i int) []string
		bound     int
		tight     bool // the attacker reaches the bound
	}{
		{name: "one address", addresses: func(int) []string { return []string{"10.9.0.1"} }, bound: 34, tight: true},
		{name: "any number of addresses", addresses: func(i int) []string { return []string{fresh("10.8")(i)} }, bound: 49, tight: true},
		{name: "her tablet first, then any other", addresses: func(i int) []string { return []string{"10.0.0.1", fresh("10.7")(i)} }, bound: 83},
		{name: "any other first, then her tablet", addresses: func(i int) []string { return []string{fresh("10.6")(i), "10.0.0.1"} }, bound: 83},
		// A host holds its IPv6 /64 whole: it has any number of addresses.
		{name: "one IPv6 host", addresses: func(i int) []string { return []string{fresh6("2001:db8:0:9:")(i)} }, bound: 49, tight: true},
		{name: "another IPv6 host in her tablet's /64", tablet: "2001:db8::1",
			addresses: func(i int) []string { return []string{fresh6("2001:db8:")(i)} }, bound: 49, tight: true},
	}
	for k, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			person := fmt.Sprintf("person-%d", k)
			start := t0.Add(time.Duration(k) * 7 * 24 * time.Hour)
			if err := l.succeeded(ctx, person, cmp.Or(tt.tablet, "10.0.0.1"), start); err != nil {
				t.Fatal(err)
			}
			var checked []time.Time
			for now := start; now.Before(start.Add(3 * 24 * time.Hour)); {
				wait := time.Duration(1<<63 - 1)
				for _, a := range tt.addresses(len(checked)) {
					w, err := l.reserve(ctx, person, a, true, now)
					if err != nil {
						t.Fatal(err)
					}
					if w == 0 {
						checked = append(checked, now)
						wait = 0
						break
					}
					wait = min(wait, w)
				}
				now = now.Add(max(wait, time.Millisecond))
			}
			most := 0
			for i, j := 0, 0; i < len(checked); i++ {
				for j < len(checked) && checked[j].Sub(checked[i]) < 24*time.Hour {
					j++
				}
				most = max(most, j-i)
			}
			switch {
			case most > tt.bound:
				t.Errorf("%d PINs checked in 24 hours (%d in three days), want at most %d", most, len(checked), tt.bound)
			case tt.tight && most != tt.bound:
				t.Errorf("%d PINs checked in 24 hours (%d in three days), want the bound docs/SECURITY.md states, %d", most, len(checked), tt.bound)
			}
		})
	}
}
