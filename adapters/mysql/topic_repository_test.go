package mysql_test

import (
	"testing"

	"github.com/kds-io/kds/adapters/mysql"
	"github.com/kds-io/kds/adapters/mysql/mysqltest"
	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/command/commandtest"
)

func TestTopicRepositoryMeetsTheContract(t *testing.T) {
	t.Parallel()
	commandtest.TopicRepositoryContract(t, func(t *testing.T) command.TopicRepository {
		db, _ := mysqltest.NewDatabase(t)
		return mysql.NewTopicRepository(db, mysql.NewOutbox(nil))
	})
}
