package mysql

import "strings"

// placeholders is n comma-separated "?".
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// inList is an IN list for values, "(?, ?, …)", and its arguments, each
// value as arg makes it.
func inList[T any](values []T, arg func(T) any) (string, []any) {
	args := make([]any, len(values))
	for i, v := range values {
		args[i] = arg(v)
	}
	return "(" + placeholders(len(values)) + ")", args
}
