package mysql

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"slices"
)

// tlsModes are the values of mysql.tls, as go-sql-driver reads them.
var tlsModes = []string{"", "false", "true", "skip-verify", "preferred"}

// tlsConfig checks the TLS keys and, when files are configured, reads
// them into a crypto/tls configuration; otherwise the driver makes its
// own from the mode and it returns nil. Errors name the key and the file.
func (c Config) tlsConfig() (*tls.Config, error) {
	if !slices.Contains(tlsModes, c.TLS) {
		return nil, fmt.Errorf(`mysql.tls %q: want "" (off), "true", "skip-verify" or "preferred"`, c.TLS)
	}
	off := c.TLS == "" || c.TLS == "false"
	var errs []error
	if c.TLSCAFile != "" && c.TLS != "true" {
		errs = append(errs, fmt.Errorf(`mysql.tls_ca_file is set but mysql.tls is %q: set mysql.tls to "true" to verify the server with it`, c.TLS))
	}
	if (c.TLSCertFile != "" || c.TLSKeyFile != "") && off {
		errs = append(errs, fmt.Errorf(`mysql.tls_cert_file and tls_key_file are set but mysql.tls is %q (off)`, c.TLS))
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		errs = append(errs, errors.New("mysql.tls_cert_file and mysql.tls_key_file go together: set both or neither"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if c.TLSCAFile == "" && c.TLSCertFile == "" {
		return nil, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: c.TLS != "true"} //nolint:gosec // only for skip-verify and preferred, which say so
	if c.TLSCAFile != "" {
		pem, err := os.ReadFile(c.TLSCAFile)
		if err != nil {
			errs = append(errs, fmt.Errorf("mysql.tls_ca_file %s: %w", c.TLSCAFile, err))
		} else {
			tc.RootCAs = x509.NewCertPool()
			if !tc.RootCAs.AppendCertsFromPEM(pem) {
				errs = append(errs, fmt.Errorf("mysql.tls_ca_file %s: no PEM certificate in it", c.TLSCAFile))
			}
		}
	}
	if c.TLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.TLSCertFile, c.TLSKeyFile)
		if err != nil {
			errs = append(errs, fmt.Errorf("mysql.tls_cert_file %s and mysql.tls_key_file %s: %w", c.TLSCertFile, c.TLSKeyFile, err))
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return tc, nil
}
