// Package content is what flows through active topics: messages, and the
// producer's rule that only active topics take them.
package content

import "time"

// Header names kds puts on the Kafka records it writes; the record's value
// is the content itself, so any Kafka client reads and writes kds topics.
const (
	ProducerHeader = "kds-producer"
	SentAtHeader   = "kds-sent-at"
)

// Message is one record of a topic as a consumer sees it. Producer and
// SentAt are empty for records written by other clients.
type Message struct {
	Topic      string    `json:"topic"`
	Partition  int32     `json:"partition"`
	Offset     int64     `json:"offset"`
	Key        string    `json:"key,omitempty"`
	Value      string    `json:"value"`
	Producer   string    `json:"producer,omitempty"`
	SentAt     time.Time `json:"sent_at,omitzero"`
	Timestamp  time.Time `json:"timestamp,omitzero"`
	ReceivedAt time.Time `json:"received_at"`
	UUID       string    `json:"uuid,omitempty"`
}
