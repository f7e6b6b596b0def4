package configs

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/url"
	"strings"
)

// ReadFile reads a whole file; the daemon passes os.ReadFile. The package reads no file itself:
// the broker's files are read through it when the daemon starts.
type ReadFile func(name string) ([]byte, error)

// TLSConfig returns the TLS configuration of the broker connection, built from the PEM files
// the section names and read with read: the broker's CA (the system's roots when ca_file is
// left out) and the client's certificate and key for mutual TLS. It is nil for a tcp:// broker.
// An error is an Error naming the file, the line, the object and the field at fault.
func (b *Broker) TLSConfig(read ReadFile) (*tls.Config, error) {
	u, err := url.Parse(b.URL)
	if err != nil || u.Scheme == "tcp" {
		return nil, err
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: u.Hostname()}
	if b.CAFile != "" {
		pem, err := b.read(read, "ca_file", b.CAFile)
		if err != nil {
			return nil, err
		}
		c.RootCAs = x509.NewCertPool()
		if !c.RootCAs.AppendCertsFromPEM(pem) {
			return nil, b.fault("ca_file", "%s holds no PEM certificate", quotePath(b.CAFile))
		}
	}
	if b.CertFile != "" {
		certPEM, err := b.read(read, "cert_file", b.CertFile)
		if err != nil {
			return nil, err
		}
		keyPEM, err := b.read(read, "key_file", b.KeyFile)
		if err != nil {
			return nil, err
		}
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, b.fault("cert_file", "%s with key_file %s: %v", quotePath(b.CertFile), quotePath(b.KeyFile), err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}

// LoadPassword returns the broker password: the first line of the file password_file names
// (read with read), or the value of the environment variable password_env names (looked up
// with getenv; the daemon passes os.Getenv); "" when the section names neither. An empty
// password is an error naming the field.
func (b *Broker) LoadPassword(read ReadFile, getenv func(string) string) (string, error) {
	switch {
	case b.PasswordFile != "":
		data, err := b.read(read, "password_file", b.PasswordFile)
		if err != nil {
			return "", err
		}
		pw, _, _ := strings.Cut(string(data), "\n")
		if pw = strings.TrimSuffix(pw, "\r"); pw == "" {
			return "", b.fault("password_file", "%s holds no password on its first line", quotePath(b.PasswordFile))
		}
		return pw, nil
	case b.PasswordEnv != "":
		pw := getenv(b.PasswordEnv)
		if pw == "" {
			return "", b.fault("password_env", "the environment variable %s is not set or empty", b.PasswordEnv)
		}
		return pw, nil
	}
	return "", nil
}

// read reads the file name, written in field, reporting a failure as an Error at the field.
func (b *Broker) read(read ReadFile, field, name string) ([]byte, error) {
	data, err := read(name)
	if err != nil {
		return nil, b.fault(field, "reading %s: %v", quotePath(name), err)
	}
	return data, nil
}

// fault returns an Error at field of the section, where the file wrote it.
func (b *Broker) fault(field, format string, args ...any) error {
	line, ok := b.at.lines[field]
	if !ok {
		line = b.Line
	}
	if b.at.prefix != "" {
		field = b.at.prefix + "." + field
	}
	file := b.at.file
	if file == "" {
		file = "<config>"
	}
	return Error{File: file, Line: max(line, 1), Object: b.at.object, Field: field, Reason: fmt.Sprintf(format, args...)}
}

// quotePath quotes a path for a message.
func quotePath(s string) string { return fmt.Sprintf("%q", s) }
