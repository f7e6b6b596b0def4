package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestInterruptStopsInOrder interrupts a daemon running the demo floor, with a tablet's live
// stream open and telemetry flowing to the embedded broker: the daemon says at once that it
// is stopping, ends the stream, stops its parts in order (requests and the planner, then the
// floor, then telemetry, the broker last, so that it acknowledges what the publisher sends on
// its way out), and exits with 0. How long it takes is measured by make bench, not here.
func TestInterruptStopsInOrder(t *testing.T) {
	d := startDaemon(t, "../../configs/demo.yaml", t.TempDir(), "--log-level", "debug")
	deadline := time.Now().Add(30 * time.Second)
	connected := regexp.MustCompile(`(?m)^cellforge_mqtt_connected 1$`)
	for {
		res, err := http.Get(d.url + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if connected.Match(b) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("telemetry never connected to the broker:\n%s", d.logs())
		}
		time.Sleep(50 * time.Millisecond)
	}

	// The OEE warms in the background, the daemon serving meanwhile.
	waitFor(t, 30*time.Second, "the OEE warmed", func() bool { return strings.Contains(d.logs(), `msg="OEE warmed"`) })

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	res, err := browser.PostForm(d.url+"/tablet/weave-1/signin", url.Values{"person": {"amira"}, "pin": {"4821"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", d.url+"/tablet/weave-1/events", nil)
	stream, err := browser.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()
	if stream.StatusCode != http.StatusOK {
		t.Fatalf("stream: %d", stream.StatusCode)
	}
	r := bufio.NewReader(stream.Body)
	if line, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(line, "retry:") {
		t.Fatalf("stream began with %q, %v", line, err)
	}
	ended := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, r)
		ended <- err
	}()

	if err := d.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-d.done:
		d.done <- nil
		if err != nil {
			t.Fatalf("serve exited with %v after SIGINT\n%s", err, d.logs())
		}
	case <-ctx.Done():
		t.Fatalf("serve did not stop on SIGINT\n%s", d.logs())
	}
	select {
	case err := <-ended:
		if err != nil {
			t.Errorf("the live stream broke off: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("the live stream did not end")
	}
	logs := &logBuffer{}
	logs.Write([]byte(d.logs()))
	logs.order(t,
		`msg=stopping cause="interrupt signal received"`,
		`msg="part stopped" part=http `,
		`msg="part stopped" part=floor `,
		`msg="part stopped" part=telemetry-collector `,
		`msg="part stopped" part=mqtt-publisher `,
		`msg="part stopped" part=mqtt-broker `,
		`msg=stopped took=`,
	)
	logs.order(t, `msg=serving `, `msg="OEE warmed" `, `msg=stopping `)
	for _, p := range []string{"pages", "housekeeping", "planner", "oee-warm"} {
		logs.order(t, `msg=stopping `, `msg="part stopped" part=`+p+` `, `msg="part stopped" part=floor `)
	}
}
