package mysql_test

import (
	"testing"

	"github.com/kds-io/kds/adapters/mysql"
	"github.com/kds-io/kds/adapters/mysql/mysqltest"
	"github.com/kds-io/kds/app/auth"
	"github.com/kds-io/kds/app/auth/authtest"
)

func TestSessionStoreMeetsTheContract(t *testing.T) {
	t.Parallel()
	authtest.SessionStoreContract(t, func(t *testing.T) auth.SessionStore {
		db, _ := mysqltest.NewDatabase(t)
		return mysql.NewSessionStore(db)
	})
}
