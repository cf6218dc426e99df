// Package adapters holds the adapters of kds: each subdirectory implements
// ports declared in app for one technology (mysql, kafka, httpapi, the
// embedded broker). An adapter imports app and libraries, never another
// adapter nor handlers: what it needs of another comes through a port or
// an interface of its own, and cmd/kds wires the two together.
package adapters
