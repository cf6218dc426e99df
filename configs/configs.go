// Package configs holds kds's configuration files; kds.yaml documents every
// key and is the source of the defaults.
package configs

import _ "embed"

// Default is kds.yaml: every key with its default value.
//
//go:embed kds.yaml
var Default []byte
