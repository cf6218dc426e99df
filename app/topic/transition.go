package topic

// Transition is one recorded move of a topic; the repository adds when it
// happened and the command that caused it.
type Transition struct {
	Topic      Name
	Generation int
	Action     Action
	// From is empty for the request that starts a generation.
	From   Status
	To     Status
	Actor  string
	Reason string
	// Spec is the topic's spec after the move.
	Spec Spec
}

// EventType is the name of the event a transition publishes on kds.events.
func (t Transition) EventType() EventType {
	return eventTypes[t.Action]
}
