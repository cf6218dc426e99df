package commandtest_test

import (
	"testing"

	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/command/commandtest"
)

func TestMemoryTopicsMeetTheContract(t *testing.T) {
	t.Parallel()
	commandtest.TopicRepositoryContract(t, func(*testing.T) command.TopicRepository { return commandtest.NewTopics() })
}

func TestMemorySubscriptionsMeetTheContract(t *testing.T) {
	t.Parallel()
	commandtest.SubscriptionRepositoryContract(t, func(*testing.T) command.SubscriptionRepository { return commandtest.NewSubscriptions() })
}

func TestMemoryClusterMeetsTheContract(t *testing.T) {
	t.Parallel()
	commandtest.KafkaClusterContract(t, func(*testing.T) command.KafkaCluster { return commandtest.NewCluster() })
}
