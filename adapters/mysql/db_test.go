package mysql_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/kds-io/kds/adapters/mysql"
	"github.com/kds-io/kds/app"
)

// TestUnreachableDatabaseIsUnavailable: a database that does not answer
// is an UnreachableError that names it and that callers outside the
// adapter recognise as app.ErrUnavailable (the API answers 503).
func TestUnreachableDatabaseIsUnavailable(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().(*net.TCPAddr)
	ln.Close() // nothing listens there now
	c := mysql.Config{Host: "127.0.0.1", Port: addr.Port, User: "kds", Database: "kds", MaxOpenConns: 1, ConnectTimeout: time.Second}
	_, err = mysql.Open(context.Background(), c)
	var unreachable *mysql.UnreachableError
	if !errors.As(err, &unreachable) || !errors.Is(err, app.ErrUnavailable) || !strings.Contains(err.Error(), c.Where()) {
		t.Fatalf("got %v, want an UnreachableError naming %s that is app.ErrUnavailable", err, c.Where())
	}
}
