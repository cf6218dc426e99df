package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/kds-io/kds/app/declaration"
	"github.com/kds-io/kds/app/topic"
)

// declarationFile is one file of a declaration (configs/topics.schema.json
// describes it): defaults for its topics, and the topics.
type declarationFile struct {
	Defaults topicDefaults   `yaml:"defaults,omitempty"`
	Topics   []declaredTopic `yaml:"topics"`
}

// topicDefaults apply to every topic of a file that does not say; configs
// are merged, a topic's own winning.
type topicDefaults struct {
	Partitions        int32                  `yaml:"partitions,omitempty"`
	ReplicationFactor int16                  `yaml:"replication_factor,omitempty"`
	Configs           map[string]configValue `yaml:"configs,omitempty"`
	Owner             string                 `yaml:"owner,omitempty"`
}

type declaredTopic struct {
	Name              string                 `yaml:"name"`
	Partitions        int32                  `yaml:"partitions,omitempty"`
	ReplicationFactor int16                  `yaml:"replication_factor,omitempty"`
	Configs           map[string]configValue `yaml:"configs,omitempty"`
	Owner             string                 `yaml:"owner,omitempty"`
	Description       string                 `yaml:"description,omitempty"`
	// Producers are token names that may write besides the owner, and
	// Consumers consumer ids that may read (kafka.manage_acls).
	Producers []string `yaml:"producers,omitempty"`
	Consumers []string `yaml:"consumers,omitempty"`
}

// configValue is a config's value as written: retention.ms: 604800000 and
// retention.ms: "604800000" mean the same.
type configValue string

func (c *configValue) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: a config's value must be a single value, such as 604800000 or compact", n.Line)
	}
	*c = configValue(n.Value)
	return nil
}

// readDeclaration reads a declaration from path: a YAML file, or every
// .yaml and .yml file under a directory, in order of name.
func readDeclaration(path string) (declaration.Declaration, error) {
	info, err := os.Stat(path)
	if err != nil {
		return declaration.Declaration{}, err
	}
	files := []string{path}
	if info.IsDir() {
		files = nil
		err := filepath.WalkDir(path, func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if ext := filepath.Ext(p); !e.IsDir() && (ext == ".yaml" || ext == ".yml") {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return declaration.Declaration{}, err
		}
		if len(files) == 0 {
			return declaration.Declaration{}, fmt.Errorf("%s holds no .yaml or .yml file", path)
		}
		slices.Sort(files)
	}
	var (
		d    declaration.Declaration
		errs []error
	)
	for _, f := range files {
		topics, err := readDeclarationFile(f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		d.Topics = append(d.Topics, topics...)
	}
	return d, errors.Join(errs...)
}

// yamlLine finds the "line N: " yaml puts before each problem.
var yamlLine = regexp.MustCompile(`line (\d+): `)

// readDeclarationFile reads one file's topics, with their defaults applied
// and where each was declared; unknown keys and values of the wrong type
// are refused with the file and line.
func readDeclarationFile(path string) ([]declaration.Topic, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f declarationFile
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, fileProblems(path, err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, fileProblems(path, err)
	}
	lines := topicLines(&root)
	topics := make([]declaration.Topic, len(f.Topics))
	var errs []error
	for i, t := range f.Topics {
		src := declaration.Source{File: path, Line: lines[i]}
		dt, err := t.withDefaults(f.Defaults)
		if err != nil {
			errs = append(errs, &declaration.Problem{Source: src, Err: err})
			continue
		}
		dt.Source = src
		topics[i] = dt
	}
	return topics, errors.Join(errs...)
}

// fileProblems is a YAML error with the file before each line it names.
func fileProblems(path string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n")
	var out []string
	for _, l := range strings.Split(msg, "\n") {
		if l = strings.TrimSpace(l); l == "" {
			continue
		}
		l = yamlLine.ReplaceAllString(l, path+":$1: ")
		if !strings.HasPrefix(l, path) {
			l = path + ": " + l
		}
		out = append(out, strings.Replace(l, "not found in type main.declaredTopic", "is not a topic key (want name, partitions, replication_factor, configs, owner, description, producers, consumers)", 1))
	}
	return errors.New(strings.Join(out, "\n"))
}

// topicLines is the line of each item of the top-level topics list.
func topicLines(root *yaml.Node) []int {
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
		return nil
	}
	m := root.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == "topics" {
			var lines []int
			for _, item := range m.Content[i+1].Content {
				lines = append(lines, item.Line)
			}
			return lines
		}
	}
	return nil
}

// withDefaults is t as declared, with its file's defaults where it says
// nothing.
func (t declaredTopic) withDefaults(d topicDefaults) (declaration.Topic, error) {
	out := declaration.Topic{Name: t.Name, Details: topic.Details{Owner: t.Owner, Description: t.Description, Producers: t.Producers, Consumers: t.Consumers},
		Spec: topic.Spec{Partitions: t.Partitions, ReplicationFactor: t.ReplicationFactor}}
	if t.Name == "" {
		return out, errors.New("a topic without a name")
	}
	if _, err := topic.ParseName(t.Name); err != nil {
		return out, err
	}
	if out.Spec.Partitions == 0 {
		out.Spec.Partitions = d.Partitions
	}
	if out.Spec.ReplicationFactor == 0 {
		out.Spec.ReplicationFactor = d.ReplicationFactor
	}
	if out.Details.Owner == "" {
		out.Details.Owner = d.Owner
	}
	var missing []string
	if out.Spec.Partitions == 0 {
		missing = append(missing, "partitions")
	}
	if out.Spec.ReplicationFactor == 0 {
		missing = append(missing, "replication_factor")
	}
	if len(missing) > 0 {
		return out, fmt.Errorf("topic %s has no %s, and the file's defaults give none", t.Name, strings.Join(missing, " and no "))
	}
	configs := map[string]string{}
	for k, v := range d.Configs {
		configs[k] = string(v)
	}
	for k, v := range t.Configs {
		configs[k] = string(v)
	}
	if len(configs) > 0 {
		out.Spec.Configs = configs
	}
	return out, nil
}

// writeDeclaration writes topics as a declaration file, with the owner as a
// default when they all have the same one.
func writeDeclaration(w io.Writer, topics []declaration.Topic) error {
	var f declarationFile
	owners := map[string]bool{}
	for _, t := range topics {
		owners[t.Details.Owner] = true
	}
	if len(owners) == 1 {
		f.Defaults.Owner = slices.Collect(maps.Keys(owners))[0]
	}
	for _, t := range topics {
		dt := declaredTopic{Name: t.Name, Partitions: t.Spec.Partitions, ReplicationFactor: t.Spec.ReplicationFactor, Description: t.Details.Description,
			Producers: t.Details.Producers, Consumers: t.Details.Consumers}
		if t.Details.Owner != f.Defaults.Owner {
			dt.Owner = t.Details.Owner
		}
		if len(t.Spec.Configs) > 0 {
			dt.Configs = map[string]configValue{}
			for k, v := range t.Spec.Configs {
				dt.Configs[k] = configValue(v)
			}
		}
		f.Topics = append(f.Topics, dt)
	}
	fmt.Fprintln(w, "# kds topics (configs/topics.schema.json): check with kds plan -f FILE, apply with kds apply -f FILE.")
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(f); err != nil {
		return err
	}
	return enc.Close()
}
