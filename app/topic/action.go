package topic

// Action is something that moves a topic through its lifecycle.
type Action string

// The actions, each a method of Topic.
const (
	Request    Action = "request"
	Approve    Action = "approve"
	Reject     Action = "reject"
	Activate   Action = "activate"
	Deactivate Action = "deactivate"
	Delete     Action = "delete"
	// Repair records that the topic manager made Kafka match an active
	// topic again, such as recreating it after someone deleted it.
	Repair Action = "repair"
	// Import starts the record of a topic found in Kafka that kds did not
	// know, as active.
	Import Action = "import"
	// Update changes an active topic's partitions, configs or details.
	Update Action = "update"
	// Access records ACLs granted or revoked in Kafka for the topic; it
	// leaves the status as it is.
	Access Action = "access"
)

// move says where an action may start and where it leads.
type move struct{ from, to Status }

var moves = map[Action]move{
	Approve:    {Pending, Approved},
	Reject:     {Pending, Rejected},
	Activate:   {Approved, Active},
	Deactivate: {Active, Inactive},
	Delete:     {Inactive, Deleted},
	Repair:     {Active, Active},
	Update:     {Active, Active},
}

// pastTense names the action as done, for messages.
var pastTense = map[Action]string{
	Request:    "requested",
	Approve:    "approved",
	Reject:     "rejected",
	Activate:   "activated",
	Deactivate: "deactivated",
	Delete:     "deleted",
	Repair:     "repaired",
	Import:     "imported",
	Update:     "updated",
	Access:     "granted or revoked access to",
}

// rank orders statuses along the lifecycle so that messages can say
// "already" when a topic has moved past the point an action needs.
var rank = map[Status]int{Pending: 0, Approved: 1, Rejected: 1, Active: 2, Inactive: 3, Deleted: 4}
