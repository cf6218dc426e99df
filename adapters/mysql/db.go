// Package mysql keeps kds's state in MySQL (or MariaDB): topics and their
// transitions, the command log, API tokens, and the transactional outbox
// that Watermill's forwarder drains into Kafka.
package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/kds-io/kds/app"
)

// Config says where the database is and how to reach it.
type Config struct {
	Host     string
	Port     int
	User     string
	Password string
	Database string
	// TLS is a go-sql-driver tls mode: "" or "false", "true", "skip-verify"
	// or "preferred" (tls.go).
	TLS string
	// TLSCAFile is a PEM file of the CAs that sign the server's
	// certificate, for TLS "true"; empty means the system's roots.
	TLSCAFile string
	// TLSCertFile and TLSKeyFile are a PEM client certificate and its key.
	TLSCertFile     string
	TLSKeyFile      string
	MaxOpenConns    int
	ConnectTimeout  time.Duration
	ConnMaxLifetime time.Duration
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.Host == "" {
		errs = append(errs, errors.New("mysql.host is empty"))
	}
	if c.Port < 1 || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("mysql.port %d is not a TCP port", c.Port))
	}
	if c.User == "" {
		errs = append(errs, errors.New("mysql.user is empty"))
	}
	if c.Database == "" {
		errs = append(errs, errors.New("mysql.database is empty"))
	}
	if c.MaxOpenConns < 1 {
		errs = append(errs, fmt.Errorf("mysql.max_open_conns must be at least 1, got %d", c.MaxOpenConns))
	}
	if _, err := c.tlsConfig(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Addr is host:port.
func (c Config) Addr() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) }

// Where describes the database for error messages, without credentials.
func (c Config) Where() string {
	return fmt.Sprintf("MySQL at %s (database %q, user %q)", c.Addr(), c.Database, c.User)
}

func (c Config) driverConfig(database string) (*mysql.Config, error) {
	tc, err := c.tlsConfig()
	if err != nil {
		return nil, err
	}
	mc := mysql.NewConfig()
	mc.Net = "tcp"
	mc.Addr = c.Addr()
	mc.User = c.User
	mc.Passwd = c.Password
	mc.DBName = database
	mc.ParseTime = true
	mc.Loc = time.UTC
	mc.InterpolateParams = true
	mc.TLSConfig = c.TLS
	if tc != nil {
		// A configuration of our own, rather than one registered under a
		// name with mysql.RegisterTLSConfig: no process-wide state.
		mc.TLS = tc
		// The driver sets this itself only for a mode without our config.
		mc.AllowFallbackToPlaintext = c.TLS == "preferred"
	}
	mc.Timeout = c.ConnectTimeout
	mc.Params = map[string]string{"time_zone": "'+00:00'"}
	return mc, nil
}

// Open connects to the configured database and checks that it answers.
func Open(ctx context.Context, c Config) (*sql.DB, error) {
	return open(ctx, c, c.Database)
}

func open(ctx context.Context, c Config, database string) (*sql.DB, error) {
	mc, err := c.driverConfig(database)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.Where(), err)
	}
	connector, err := mysql.NewConnector(mc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.Where(), err)
	}
	db := sql.OpenDB(namingConnector{Connector: connector, where: c.Where()})
	db.SetMaxOpenConns(c.MaxOpenConns)
	db.SetMaxIdleConns(c.MaxOpenConns)
	db.SetConnMaxLifetime(c.ConnMaxLifetime)
	pingCtx, cancel := context.WithTimeout(ctx, c.ConnectTimeout+time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		_ = db.Close()
		return nil, Unreachable(c.Where(), err)
	}
	return db, nil
}

// namingConnector says which database could not be reached when a new
// connection fails, so that a request refused because MySQL is down says
// so instead of naming only an address.
type namingConnector struct {
	driver.Connector
	where string
}

func (c namingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, &UnreachableError{Where: c.where, Err: err}
	}
	return conn, nil
}

// UnreachableError is returned when the database does not answer.
type UnreachableError struct {
	Where string
	Err   error
}

func (e *UnreachableError) Error() string { return fmt.Sprintf("cannot reach %s: %v", e.Where, e.Err) }

func (e *UnreachableError) Unwrap() error { return e.Err }

// Is makes an UnreachableError app.ErrUnavailable.
func (e *UnreachableError) Is(target error) bool { return target == app.ErrUnavailable }

// Unreachable is err as an *UnreachableError naming where, unless it
// already is one.
func Unreachable(where string, err error) error {
	var u *UnreachableError
	if errors.As(err, &u) {
		return err
	}
	return &UnreachableError{Where: where, Err: err}
}

// CreateDatabase creates the configured database unless it exists.
func CreateDatabase(ctx context.Context, c Config) error {
	db, err := open(ctx, c, "")
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, "CREATE DATABASE IF NOT EXISTS "+quoteIdentifier(c.Database)+" CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
	if err != nil {
		return fmt.Errorf("create database %q on %s: %w", c.Database, c.Addr(), err)
	}
	return nil
}

func quoteIdentifier(s string) string {
	q := []byte{'`'}
	for i := 0; i < len(s); i++ {
		if s[i] == '`' {
			q = append(q, '`')
		}
		q = append(q, s[i])
	}
	return string(append(q, '`'))
}
