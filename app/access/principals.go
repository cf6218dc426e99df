package access

import (
	"fmt"
	"strings"

	"github.com/kds-io/kds/app/auth"
)

// ManagedUserPrefix starts the name of every SCRAM user kds manages.
const ManagedUserPrefix = "kds-"

// Principals names the Kafka principal of each kds identity: User:kds-NAME
// for a token named NAME, a SCRAM user kds manages, unless the operator
// mapped the name to a principal of their own.
type Principals struct {
	mapped map[string]string
}

// ParsePrincipals reads kafka.acl_principals entries, each NAME=PRINCIPAL
// (User:CN=alice), reporting every bad entry at once.
func ParsePrincipals(entries []string) (Principals, error) {
	p := Principals{mapped: map[string]string{}}
	var problems []string
	for _, e := range entries {
		name, principal, ok := strings.Cut(e, "=")
		switch {
		case !ok || name == "":
			problems = append(problems, fmt.Sprintf("%q: want TOKEN_NAME=User:PRINCIPAL", e))
		case !strings.HasPrefix(principal, "User:") || len(principal) == len("User:"):
			problems = append(problems, fmt.Sprintf("%q: the principal must be User:NAME", e))
		case strings.HasPrefix(principal, "User:"+ManagedUserPrefix):
			problems = append(problems, fmt.Sprintf("%q: principals User:%s... are kds's own", e, ManagedUserPrefix))
		case p.mapped[name] != "":
			problems = append(problems, fmt.Sprintf("%q: %s is mapped twice", e, name))
		default:
			p.mapped[name] = principal
		}
	}
	if len(problems) > 0 {
		return Principals{}, fmt.Errorf("kafka.acl_principals: %s", strings.Join(problems, "; "))
	}
	return p, nil
}

// Of is the principal of the token named name, and whether kds manages
// its SCRAM user (false for a principal the operator mapped).
func (p Principals) Of(name string) (principal string, scram bool) {
	if m, ok := p.mapped[name]; ok {
		return m, false
	}
	return "User:" + ScramUser(name), true
}

// ScramUser is the SCRAM user kds manages for the token named name.
func ScramUser(name string) string { return ManagedUserPrefix + name }

// Manages reports whether principal is one whose ACLs kds keeps.
func (p Principals) Manages(principal string) bool {
	if strings.HasPrefix(principal, "User:"+ManagedUserPrefix) {
		return true
	}
	for _, m := range p.mapped {
		if m == principal {
			return true
		}
	}
	return false
}

// HasPrincipal reports whether tokens of role are Kafka principals: those
// whose holders reach Kafka.
func HasPrincipal(role auth.Role) bool { return role.Can(auth.ReachKafka) }
