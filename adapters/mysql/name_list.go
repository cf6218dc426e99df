package mysql

import "strings"

// nameList stores names that hold no commas (token names, consumer ids)
// in one column.
func nameList(names []string) string { return strings.Join(names, ",") }

// parseNameList reads a nameList column; empty is none.
func parseNameList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}
