// Package declaration is topics as code: a declaration of the topics a
// team wants, and the plan that brings kds there through ordinary
// commands: requests of new topics, updates of active ones, and, when
// asked, the end of topics no longer declared.
package declaration

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/kds-io/kds/app/topic"
)

// Source is where something was declared, for messages.
type Source struct {
	File string
	Line int
}

func (s Source) String() string {
	if s.File == "" {
		return fmt.Sprintf("line %d", s.Line)
	}
	return fmt.Sprintf("%s:%d", s.File, s.Line)
}

// Topic is a declared topic: what it is to be in Kafka and in kds.
type Topic struct {
	Name    string
	Spec    topic.Spec
	Details topic.Details
	Source  Source
}

// Declaration is every topic declared, in one file or several.
type Declaration struct {
	Topics []Topic
}

// Problem is what is wrong with one declared topic, and where.
type Problem struct {
	Source Source
	Err    error
}

func (p *Problem) Error() string { return fmt.Sprintf("%s: %v", p.Source, p.Err) }

func (p *Problem) Unwrap() error { return p.Err }

// Validate reports every problem at once, each with where it was declared:
// a name Kafka or kds would refuse, a name declared twice, a spec out of
// limits or a config Kafka would not take, details that are not plain.
func (d Declaration) Validate(limits topic.Limits) error {
	var errs []error
	seen := map[string]Source{}
	for _, t := range d.Topics {
		if _, err := topic.ParseName(t.Name); err != nil {
			errs = append(errs, &Problem{t.Source, err})
			continue
		}
		if first, ok := seen[t.Name]; ok {
			errs = append(errs, &Problem{t.Source, fmt.Errorf("topic %s is declared again (first at %s)", t.Name, first)})
			continue
		}
		seen[t.Name] = t.Source
		if err := t.Spec.Validate(limits); err != nil {
			errs = append(errs, &Problem{t.Source, fmt.Errorf("topic %s: %w", t.Name, err)})
		}
		if err := t.Details.Validate(); err != nil {
			errs = append(errs, &Problem{t.Source, fmt.Errorf("topic %s: %w", t.Name, err)})
		}
	}
	return errors.Join(errs...)
}

// Owners are the owners the declaration names, sorted: pruning ends only
// their topics.
func (d Declaration) Owners() []string {
	owners := map[string]bool{}
	for _, t := range d.Topics {
		if t.Details.Owner != "" {
			owners[t.Details.Owner] = true
		}
	}
	return slices.Sorted(maps.Keys(owners))
}
