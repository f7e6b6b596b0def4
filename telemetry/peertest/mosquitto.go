package peertest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// MosquittoOptions configures a broker started by StartMosquitto. The zero value allows
// anonymous clients.
type MosquittoOptions struct {
	// Username and Password, when Username is set, turn anonymous access off; a password file
	// made with mosquitto_passwd holds this one user.
	Username, Password string
	// CertFile and KeyFile, when set, make the listener speak TLS with this PEM certificate
	// and key; URL then starts with ssl://.
	CertFile, KeyFile string
}

// Mosquitto is a real Mosquitto broker listening on a loopback port, with its own temporary
// config and persistence directory.
type Mosquitto struct {
	addr string
	tls  bool
	proc *process
}

// StartMosquitto starts a broker and waits until it accepts connections. The broker is stopped
// when the test ends. Persistence is on, so persistent sessions and their queued QoS 1 and 2
// messages survive Stop and Start.
func StartMosquitto(t testing.TB, opts MosquittoOptions) *Mosquitto {
	t.Helper()
	bin := ensureBinary(t, "mosquitto", "mosquitto", "/usr/sbin")
	dir := t.TempDir()
	dataDir := filepath.Join(dir, "data")
	if err := os.Mkdir(dataDir, 0o700); err != nil {
		t.Fatalf("peertest: %v", err)
	}
	m := &Mosquitto{addr: loopback(freePort(t)), tls: opts.CertFile != ""}

	var conf strings.Builder
	_, port, _ := strings.Cut(m.addr, ":")
	fmt.Fprintf(&conf, "listener %s 127.0.0.1\n", port)
	if m.tls {
		fmt.Fprintf(&conf, "certfile %s\nkeyfile %s\n", opts.CertFile, opts.KeyFile)
	}
	if opts.Username != "" {
		pwBin := ensureBinary(t, "mosquitto_passwd", "mosquitto")
		pwFile := filepath.Join(dir, "passwd")
		if out, err := exec.Command(pwBin, "-b", "-c", pwFile, opts.Username, opts.Password).CombinedOutput(); err != nil {
			t.Fatalf("peertest: mosquitto_passwd: %v\n%s", err, out)
		}
		fmt.Fprintf(&conf, "allow_anonymous false\npassword_file %s\n", pwFile)
	} else {
		// Mosquitto 2 refuses anonymous clients by default once a listener is configured.
		conf.WriteString("allow_anonymous true\n")
	}
	if os.Geteuid() == 0 {
		// Run as root, mosquitto drops to the user "mosquitto", which can neither read nor
		// write the test's private temporary directory.
		conf.WriteString("user root\n")
	}
	// The broker also saves on a clean exit; the autosave keeps what a killed broker loses to
	// about a second.
	fmt.Fprintf(&conf, "persistence true\npersistence_location %s/\nautosave_interval 1\n", dataDir)
	// A subscriber's persistent session holds every message sent while it is away (the
	// default keeps 1,000 and drops the rest), as a telemetry bridge's broker must.
	conf.WriteString("max_queued_messages 0\n")
	conf.WriteString("log_dest stderr\nlog_type error\nlog_type warning\nlog_type notice\nlog_type information\nconnection_messages true\n")
	confFile := filepath.Join(dir, "mosquitto.conf")
	if err := os.WriteFile(confFile, []byte(conf.String()), 0o600); err != nil {
		t.Fatalf("peertest: %v", err)
	}

	m.proc = &process{t: t, name: "mosquitto", path: bin, args: []string{"-c", confFile}, env: os.Environ()}
	t.Cleanup(m.Stop)
	m.Start()
	return m
}

// Addr returns the broker's host:port, 127.0.0.1:PORT.
func (m *Mosquitto) Addr() string { return m.addr }

// URL returns the broker's address for MQTT clients: tcp://127.0.0.1:PORT, or ssl:// with TLS.
func (m *Mosquitto) URL() string {
	if m.tls {
		return "ssl://" + m.addr
	}
	return "tcp://" + m.addr
}

// Stop sends the broker SIGTERM and waits until it has exited and saved its persistence file.
// Stopping a stopped broker does nothing.
func (m *Mosquitto) Stop() { m.proc.t.Helper(); m.proc.stop() }

// Start starts a stopped broker again on the same port with the same persistence directory and
// waits until it accepts connections.
func (m *Mosquitto) Start() {
	m.proc.t.Helper()
	m.proc.start(func() bool { return canDial(m.addr) })
}

// Log returns the broker's log so far, across restarts, for failure messages.
func (m *Mosquitto) Log() string { return m.proc.log.String() }
