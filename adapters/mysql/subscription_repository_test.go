package mysql_test

import (
	"testing"

	"github.com/kds-io/kds/adapters/mysql"
	"github.com/kds-io/kds/adapters/mysql/mysqltest"
	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/command/commandtest"
)

func TestSubscriptionRepositoryMeetsTheContract(t *testing.T) {
	t.Parallel()
	commandtest.SubscriptionRepositoryContract(t, func(t *testing.T) command.SubscriptionRepository {
		db, _ := mysqltest.NewDatabase(t)
		return mysql.NewSubscriptionRepository(db, mysql.NewOutbox(nil))
	})
}
