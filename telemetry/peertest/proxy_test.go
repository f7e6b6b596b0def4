package peertest_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/cellforge/cellforge/telemetry/peertest"
)

// startEcho starts a TCP server on a loopback port that writes back every line it reads,
// upper-cased so that an answer cannot be mistaken for the question, and closes its side when
// its client has closed its own.
func startEcho(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { _ = ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				sc := bufio.NewScanner(c)
				for sc.Scan() {
					if _, err := io.WriteString(c, strings.ToUpper(sc.Text())+"\n"); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// dial connects to addr with a deadline on every read and write.
func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, waitTimeout)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	if err := c.SetDeadline(time.Now().Add(waitTimeout)); err != nil {
		t.Fatal(err)
	}
	return c
}

// ask writes line and returns the answer line, or the read's error.
func ask(c net.Conn, line string) (string, error) {
	if _, err := io.WriteString(c, line+"\n"); err != nil {
		return "", err
	}
	answer, err := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSuffix(answer, "\n"), err
}

// wantClosed fails the test unless the peer of c has closed it: a read ends without data.
func wantClosed(t *testing.T, c net.Conn, what string) {
	t.Helper()
	n, err := c.Read(make([]byte, 64))
	var ne net.Error
	if n > 0 || err == nil || (errors.As(err, &ne) && ne.Timeout()) {
		t.Fatalf("%s: read %d bytes, error %v; want the connection closed", what, n, err)
	}
}

func TestProxyForwardsBothWaysAndPassesHalfClose(t *testing.T) {
	t.Parallel()
	p := peertest.StartProxy(t, startEcho(t))
	c := dial(t, p.Addr())
	if got, err := ask(c, "loom a"); err != nil || got != "LOOM A" {
		t.Fatalf("through the proxy: answer %q, error %v; want %q", got, err, "LOOM A")
	}
	// A client that shuts its writing side still reads the answers in flight, then the end.
	if _, err := io.WriteString(c, "loom b\n"); err != nil {
		t.Fatal(err)
	}
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(c)
	if err != nil || string(rest) != "LOOM B\n" {
		t.Fatalf("after the client's half close: read %q, error %v; want %q and the end", rest, err, "LOOM B\n")
	}
	if got := p.Accepted(); got != 1 {
		t.Fatalf("Accepted() = %d, want 1", got)
	}
}

func TestProxyCutClosesConnectionsAndRefusesNewOnesUntilRestored(t *testing.T) {
	t.Parallel()
	echo := startEcho(t)
	p := peertest.StartProxy(t, echo)
	through := dial(t, p.Addr())
	direct := dial(t, echo)
	for _, c := range []net.Conn{through, direct} {
		if got, err := ask(c, "before"); err != nil || got != "BEFORE" {
			t.Fatalf("before the cut: answer %q, error %v", got, err)
		}
	}

	p.Cut()
	wantClosed(t, through, "a connection open at the cut")
	wantClosed(t, dial(t, p.Addr()), "a connection made while cut")
	if got, err := ask(direct, "beside"); err != nil || got != "BESIDE" {
		t.Fatalf("a connection not through the proxy, during the cut: answer %q, error %v", got, err)
	}
	p.Cut() // cutting again changes nothing
	if got, refused := p.Accepted(), p.Refused(); got != 1 || refused != 1 {
		t.Fatalf("after the cut Accepted() = %d and Refused() = %d, want 1 and 1", got, refused)
	}

	p.Restore()
	if got, err := ask(dial(t, p.Addr()), "after"); err != nil || got != "AFTER" {
		t.Fatalf("after Restore: answer %q, error %v", got, err)
	}
	if got := p.Accepted(); got != 2 {
		t.Fatalf("Accepted() = %d after Restore, want 2", got)
	}
}

func TestProxyClosesClientsWhenTheTargetIsDown(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := ln.Addr().String()
	_ = ln.Close()
	p := peertest.StartProxy(t, down)
	wantClosed(t, dial(t, p.Addr()), "a connection to a target that refuses")
	if got := p.Accepted(); got != 0 {
		t.Fatalf("Accepted() = %d, want 0", got)
	}
}

func TestProxyCutsAnMQTTClientOffItsBrokerAndLetsItReconnect(t *testing.T) {
	t.Parallel()
	broker := peertest.StartMosquitto(t, peertest.MosquittoOptions{})
	p := peertest.StartProxy(t, broker.Addr())
	const topic = "cellforge/net/v1/to/porto/from/hub"

	lost, connected := make(chan error, 4), make(chan struct{}, 4)
	received := make(chan string, 16)
	opts := mqtt.NewClientOptions().AddBroker("tcp://" + p.Addr()).SetClientID("peertest-proxy-site").
		SetProtocolVersion(4).SetCleanSession(false).SetConnectTimeout(waitTimeout).
		SetAutoReconnect(true).SetMaxReconnectInterval(100 * time.Millisecond).
		SetConnectionLostHandler(func(_ mqtt.Client, err error) { lost <- err }).
		SetOnConnectHandler(func(mqtt.Client) { connected <- struct{}{} }).
		SetDefaultPublishHandler(func(_ mqtt.Client, m mqtt.Message) { received <- string(m.Payload()) })
	site := mqtt.NewClient(opts)
	if tok := site.Connect(); !tok.WaitTimeout(waitTimeout) || tok.Error() != nil {
		t.Fatalf("connect through the proxy: %v\n%s", tok.Error(), broker.Log())
	}
	defer site.Disconnect(250)
	<-connected
	if tok := site.Subscribe(topic, 1, nil); !tok.WaitTimeout(waitTimeout) || tok.Error() != nil {
		t.Fatalf("subscribe: %v\n%s", tok.Error(), broker.Log())
	}
	hub, err := connect(t, mqtt.NewClientOptions().AddBroker(broker.URL()).SetClientID("peertest-proxy-hub"))
	if err != nil {
		t.Fatalf("hub connect: %v\n%s", err, broker.Log())
	}
	defer hub.Disconnect(250)

	p.Cut()
	select {
	case err := <-lost:
		t.Logf("the site lost its connection: %v", err)
	case <-time.After(waitTimeout):
		t.Fatalf("the site did not lose its connection within %v of the cut", waitTimeout)
	}
	// The broker keeps what is published while the site is cut off for its persistent session.
	for _, m := range []string{"during the cut 1", "during the cut 2"} {
		if tok := hub.Publish(topic, 1, false, m); !tok.WaitTimeout(waitTimeout) || tok.Error() != nil {
			t.Fatalf("publish while the site is cut off: %v\n%s", tok.Error(), broker.Log())
		}
	}
	// The site keeps trying; the proxy refuses it.
	for deadline := time.Now().Add(waitTimeout); p.Refused() < 2; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the site did not try to reconnect during the cut within %v (refused %d)", waitTimeout, p.Refused())
		}
	}
	select {
	case m := <-received:
		t.Fatalf("the site got %q while cut off", m)
	case <-connected:
		t.Fatal("the site reconnected while cut off")
	default:
	}

	p.Restore()
	select {
	case <-connected:
	case <-time.After(waitTimeout):
		t.Fatalf("the site did not reconnect within %v of Restore\n%s", waitTimeout, broker.Log())
	}
	for _, want := range []string{"during the cut 1", "during the cut 2"} {
		select {
		case got := <-received:
			if got != want {
				t.Fatalf("after Restore the site got %q, want %q", got, want)
			}
		case <-time.After(waitTimeout):
			t.Fatalf("after Restore the site did not get %q within %v\n%s", want, waitTimeout, broker.Log())
		}
	}
}
