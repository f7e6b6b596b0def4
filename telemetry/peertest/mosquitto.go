package peertest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// MosquittoOptions configures a broker started by StartMosquitto. The zero value allows
// anonymous clients.
type MosquittoOptions struct {
	// Username and Password, when Username is set, turn anonymous access off; a password file
	// made with mosquitto_passwd holds this user, beside those of Users.
	Username, Password string
	// Users maps user names to passwords. Any user, here or in Username, turns anonymous access
	// off and puts every user in one password file made with mosquitto_passwd. A name given
	// both here and in Username with another password fails the test.
	Users map[string]string
	// ACL, when set, is the text of the broker's acl_file (mosquitto.conf(5): "user NAME",
	// "topic [read|write|readwrite|deny] TOPIC", "pattern ... %u/%c"). Without it every client
	// may use every topic. With it Mosquitto 2.0 still grants every subscription but delivers
	// only the messages the read rules give the subscriber, and refuses a publish the write
	// rules do not give: an MQTT 3.1.1 client gets a PUBACK of reason code 0x87 and its
	// connection closed.
	ACL string
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
	users := mosquittoUsers(t, opts)
	if len(users) > 0 {
		pwFile := filepath.Join(dir, "passwd")
		writePasswordFile(t, pwFile, users)
		fmt.Fprintf(&conf, "allow_anonymous false\npassword_file %s\n", pwFile)
	} else {
		// Mosquitto 2 refuses anonymous clients by default once a listener is configured.
		conf.WriteString("allow_anonymous true\n")
	}
	if opts.ACL != "" {
		aclFile := filepath.Join(dir, "acl")
		if err := os.WriteFile(aclFile, []byte(opts.ACL), 0o600); err != nil {
			t.Fatalf("peertest: %v", err)
		}
		fmt.Fprintf(&conf, "acl_file %s\n", aclFile)
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

// mosquittoUsers returns the users of opts, Username's and those of Users, as name-password
// pairs sorted by name.
func mosquittoUsers(t testing.TB, opts MosquittoOptions) [][2]string {
	t.Helper()
	all := make(map[string]string, len(opts.Users)+1)
	for name, pass := range opts.Users {
		if name == "" || strings.ContainsAny(name, ":\n") {
			t.Fatalf("peertest: MosquittoOptions.Users: user name %q is empty or holds ':' or a newline", name)
		}
		all[name] = pass
	}
	if opts.Username != "" {
		if pass, ok := all[opts.Username]; ok && pass != opts.Password {
			t.Fatalf("peertest: MosquittoOptions: user %q is in Username and in Users with another password", opts.Username)
		}
		all[opts.Username] = opts.Password
	}
	users := make([][2]string, 0, len(all))
	for name, pass := range all {
		users = append(users, [2]string{name, pass})
	}
	sort.Slice(users, func(i, j int) bool { return users[i][0] < users[j][0] })
	return users
}

// writePasswordFile makes file with mosquitto_passwd, one line per user.
func writePasswordFile(t testing.TB, file string, users [][2]string) {
	t.Helper()
	pwBin := ensureBinary(t, "mosquitto_passwd", "mosquitto")
	for n, u := range users {
		args := []string{"-b", file, u[0], u[1]}
		if n == 0 {
			args = []string{"-b", "-c", file, u[0], u[1]}
		}
		if out, err := exec.Command(pwBin, args...).CombinedOutput(); err != nil {
			t.Fatalf("peertest: mosquitto_passwd for user %q: %v\n%s", u[0], err, out)
		}
	}
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
