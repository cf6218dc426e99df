package main

import (
	"fmt"
	"strings"

	"github.com/kds-io/kds/adapters/httpapi/apiclient"
)

// The sections of Config that hold secrets describe themselves without
// them, so that a configuration printed or logged by mistake (%v, %+v,
// %#v, slog) does not show a password or a token.

func (m MySQLConfig) String() string {
	return fmt.Sprintf("{host %s, port %d, user %q, database %q, tls %q, password %s}", m.Host, m.Port, m.User, m.Database, m.TLS, redacted(m.Password))
}

// GoString is String, for %#v.
func (m MySQLConfig) GoString() string { return m.String() }

func (s KafkaSASLConfig) String() string {
	return fmt.Sprintf("{mechanism %q, username %q, password %s}", s.Mechanism, s.Username, redacted(s.Password))
}

// GoString is String, for %#v.
func (s KafkaSASLConfig) GoString() string { return s.String() }

func (a AuthConfig) String() string {
	return fmt.Sprintf("{bootstrap_admin_token %s, metrics_token %s, max_failures %d, failure_window %s, lockout %s}",
		redacted(a.BootstrapAdminToken), redacted(a.MetricsToken), a.MaxFailures, a.FailureWindow, a.Lockout)
}

// GoString is String, for %#v.
func (a AuthConfig) GoString() string { return a.String() }

func (s SecurityConfig) String() string {
	ids := make([]string, len(s.MessageKeys))
	for i, k := range s.MessageKeys {
		ids[i], _, _ = strings.Cut(k, ":")
	}
	return fmt.Sprintf("{message_keys %v (secrets not shown)}", ids)
}

// GoString is String, for %#v.
func (s SecurityConfig) GoString() string { return s.String() }

func (c ClientConfig) String() string {
	return fmt.Sprintf("{api_url %q, token %s}", apiclient.RedactURL(c.APIURL), redacted(c.Token))
}

// GoString is String, for %#v.
func (c ClientConfig) GoString() string { return c.String() }

func redacted(secret string) string {
	if secret == "" {
		return "not set"
	}
	return "set (not shown)"
}
