// Package apiv1 is what kds's HTTP API (version 1, under /api/v1) sends
// and receives: the JSON bodies of its requests and answers, and the data
// of its Server-Sent Events. The server (adapters/httpapi) and its Go
// client (adapters/httpapi/apiclient) both use these types, so that the
// two cannot drift apart.
package apiv1

// ErrorBody is every error the API returns.
type ErrorBody struct {
	// Error is one line per problem, for people.
	Error string `json:"error"`
	// Problems lists the problems one by one when there are several.
	Problems []string `json:"problems,omitempty"`
}

// Readiness reports each check of /readyz: "ok" or what is wrong.
type Readiness struct {
	Ready  bool              `json:"ready"`
	Checks map[string]string `json:"checks"`
}
