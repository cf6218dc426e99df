package main

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/kds-io/kds/cmd/kds/internal/service"
	"github.com/kds-io/kds/configs"
)

// The configuration tests read the process environment through viper, so
// each one clears the KDS_ variables it could see with t.Setenv, which rules
// out t.Parallel.

// isolateEnv hides every KDS_ variable of the environment the tests run in
// from the test; viper treats an empty variable as unset.
func isolateEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "KDS_") {
			t.Setenv(name, "")
		}
	}
}

// writeConfig writes a YAML file for loadConfig and returns its path.
func writeConfig(t *testing.T, yamlText string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kds.yaml")
	if err := os.WriteFile(path, []byte(yamlText), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// documented parses configs/kds.yaml on its own, without viper.
func documented(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal(configs.Default, &doc); err != nil {
		t.Fatalf("configs/kds.yaml: %v", err)
	}
	return doc
}

// lookup finds a dotted key path in a parsed YAML document.
func lookup(doc map[string]any, path string) (any, bool) {
	var v any = doc
	for _, part := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[part]; !ok {
			return nil, false
		}
	}
	return v, true
}

// configField is one leaf of Config: its key path and its value.
type configField struct {
	path  string
	value reflect.Value
}

// configFields walks v's mapstructure tags into every leaf key path.
func configFields(t *testing.T, v reflect.Value, prefix string) []configField {
	t.Helper()
	var fields []configField
	for i := range v.NumField() {
		f := v.Type().Field(i)
		if !f.IsExported() {
			continue // what loadConfig notes beside the keys
		}
		tag := f.Tag.Get("mapstructure")
		if tag == "" || tag == "-" {
			t.Fatalf("field %s%s has no mapstructure tag", prefix, f.Name)
		}
		path := prefix + tag
		if f.Type.Kind() == reflect.Struct {
			fields = append(fields, configFields(t, v.Field(i), path+".")...)
			continue
		}
		fields = append(fields, configField{path: path, value: v.Field(i)})
	}
	return fields
}

// yamlLeaves lists the key paths of every value in a parsed YAML document.
func yamlLeaves(m map[string]any, prefix string) []string {
	var paths []string
	for k, v := range m {
		if sub, ok := v.(map[string]any); ok {
			paths = append(paths, yamlLeaves(sub, prefix+k+".")...)
			continue
		}
		paths = append(paths, prefix+k)
	}
	slices.Sort(paths)
	return paths
}

// TestConfigDocumentsEveryKey keeps configs/kds.yaml from falling behind
// Config: every field has its key in the file, and every key in the file
// is a field. A key missing from the file would also be invisible to its
// environment variable.
func TestConfigDocumentsEveryKey(t *testing.T) {
	doc := documented(t)
	var fromStruct []string
	for _, f := range configFields(t, reflect.ValueOf(Config{}), "") {
		fromStruct = append(fromStruct, f.path)
		if _, ok := lookup(doc, f.path); !ok {
			t.Errorf("Config has %s, configs/kds.yaml does not", f.path)
		}
	}
	for _, path := range yamlLeaves(doc, "") {
		if !slices.Contains(fromStruct, path) {
			t.Errorf("configs/kds.yaml has %s, Config does not", path)
		}
	}
}

// TestConfigDefaultsAreTheDocumentedFile loads the configuration with no
// file and no environment and compares every field with configs/kds.yaml
// as parsed on its own.
func TestConfigDefaultsAreTheDocumentedFile(t *testing.T) {
	isolateEnv(t)
	c, err := loadConfig("")
	if err != nil {
		t.Fatalf("defaults: %v", err)
	}
	// A few values spelled out, so that this test does not only compare
	// the file with itself.
	if !slices.Equal(c.Kafka.Brokers, []string{"127.0.0.1:9092"}) || c.Server.HTTPAddr != "127.0.0.1:8080" ||
		c.Outbox.PollInterval != 25*time.Millisecond || c.MySQL.Port != 3306 || c.MySQL.Password != "" ||
		!slices.Equal(c.Server.Roles, service.AllRoles) || c.Auth.BootstrapAdminToken != "" {
		t.Fatalf("defaults: %+v", c)
	}

	doc := documented(t)
	for _, f := range configFields(t, reflect.ValueOf(c), "") {
		raw, ok := lookup(doc, f.path)
		if !ok {
			continue // TestConfigDocumentsEveryKey reports it
		}
		want := documentedValue(t, f.path, raw, f.value.Type())
		if !reflect.DeepEqual(f.value.Interface(), want) {
			t.Errorf("%s: loaded %#v, configs/kds.yaml says %#v", f.path, f.value.Interface(), want)
		}
	}
}

// documentedValue converts a value parsed from YAML to a field's type.
func documentedValue(t *testing.T, path string, raw any, typ reflect.Type) any {
	t.Helper()
	if typ == reflect.TypeOf(time.Duration(0)) {
		s, ok := raw.(string)
		d, err := time.ParseDuration(s)
		if !ok || err != nil {
			t.Fatalf("%s: %#v in configs/kds.yaml is not a duration", path, raw)
		}
		return d
	}
	switch typ.Kind() {
	case reflect.Slice:
		items, ok := raw.([]any)
		if !ok {
			t.Fatalf("%s: %#v in configs/kds.yaml is not a list", path, raw)
		}
		out := reflect.MakeSlice(typ, 0, len(items))
		for _, it := range items {
			out = reflect.Append(out, reflect.ValueOf(documentedValue(t, path, it, typ.Elem())))
		}
		return out.Interface()
	case reflect.Int, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := raw.(int)
		if !ok {
			t.Fatalf("%s: %#v in configs/kds.yaml is not a whole number", path, raw)
		}
		return reflect.ValueOf(n).Convert(typ).Interface()
	case reflect.String, reflect.Bool:
		if reflect.TypeOf(raw) != typ {
			t.Fatalf("%s: %#v in configs/kds.yaml is not a %s", path, raw, typ)
		}
		return raw
	}
	t.Fatalf("%s: no conversion for %s", path, typ)
	return nil
}

// TestConfigFileOverridesDefaults checks that a file changes what it names
// and leaves everything else, its sibling keys included, at the defaults.
func TestConfigFileOverridesDefaults(t *testing.T) {
	isolateEnv(t)
	path := writeConfig(t, `
kafka:
  brokers: [k1:9092, k2:9092, k3:9092]
  internal_topics:
    partitions: 16
mysql:
  host: db.internal
  password: from-file
server:
  http_addr: 0.0.0.0:9000
  roles: [api]
outbox:
  poll_interval: 5ms
topic_manager:
  sync_orphaned_topics: true
log:
  level: debug
  format: json
# A section with every key commented out keeps its defaults.
handlers:
  # max_retries: 9
`)
	c, err := loadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Kafka.Brokers, []string{"k1:9092", "k2:9092", "k3:9092"}) || c.Kafka.InternalTopics.Partitions != 16 ||
		c.MySQL.Host != "db.internal" || c.MySQL.Password != "from-file" || c.Server.HTTPAddr != "0.0.0.0:9000" ||
		!slices.Equal(c.Server.Roles, []string{"api"}) || c.Outbox.PollInterval != 5*time.Millisecond ||
		!c.TopicManager.SyncOrphanedTopics || c.Log.Level != "debug" || c.Log.Format != "json" {
		t.Fatalf("file values not applied: %+v", c)
	}
	if c.Kafka.InternalTopics.ReplicationFactor != 1 || c.Kafka.ClientID != "kds" || c.MySQL.Port != 3306 || c.MySQL.User != "root" ||
		c.MySQL.Database != "kds" || c.Server.ShutdownTimeout != 15*time.Second || c.Outbox.BatchSize != 100 || c.Topics.DefaultPartitions != 3 ||
		c.Handlers.MaxRetries != 5 || c.Handlers.Timeout != 30*time.Second {
		t.Fatalf("keys the file does not name lost their defaults: %+v", c)
	}
}

// TestConfigEnvironmentOverridesFile checks that KDS_ + key path beats the
// file and the defaults, with lists comma-separated.
func TestConfigEnvironmentOverridesFile(t *testing.T) {
	isolateEnv(t)
	path := writeConfig(t, `
kafka:
  brokers: [file:9092]
mysql:
  password: from-file
server:
  http_addr: 127.0.0.1:7000
outbox:
  poll_interval: 1s
`)
	t.Setenv("KDS_MYSQL_PASSWORD", "from-env")
	t.Setenv("KDS_SERVER_HTTP_ADDR", "0.0.0.0:8081")
	t.Setenv("KDS_KAFKA_BROKERS", "host1:9092,host2:9092")
	t.Setenv("KDS_OUTBOX_POLL_INTERVAL", "5ms")
	t.Setenv("KDS_SERVER_ROLES", "api,lifecycle")
	t.Setenv("KDS_KAFKA_INTERNAL_TOPICS_PARTITIONS", "4")
	t.Setenv("KDS_TOPIC_MANAGER_SYNC_ORPHANED_TOPICS", "true")
	t.Setenv("KDS_MYSQL_PORT", "3307")
	c, err := loadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.MySQL.Password != "from-env" || c.Server.HTTPAddr != "0.0.0.0:8081" || c.Outbox.PollInterval != 5*time.Millisecond {
		t.Fatalf("environment did not override the file: %+v", c)
	}
	if !slices.Equal(c.Kafka.Brokers, []string{"host1:9092", "host2:9092"}) {
		t.Fatalf("KDS_KAFKA_BROKERS gave %q, want 2 brokers", c.Kafka.Brokers)
	}
	if !slices.Equal(c.Server.Roles, []string{"api", "lifecycle"}) || c.Kafka.InternalTopics.Partitions != 4 ||
		!c.TopicManager.SyncOrphanedTopics || c.MySQL.Port != 3307 {
		t.Fatalf("environment over defaults: %+v", c)
	}
}

func TestConfigBootstrapAdminTokenFromEitherVariable(t *testing.T) {
	for _, name := range []string{"KDS_BOOTSTRAP_ADMIN_TOKEN", "KDS_AUTH_BOOTSTRAP_ADMIN_TOKEN"} {
		t.Run(name, func(t *testing.T) {
			isolateEnv(t)
			path := writeConfig(t, "auth:\n  bootstrap_admin_token: from-file\n")
			t.Setenv(name, "from-"+name)
			for _, p := range []string{"", path} {
				c, err := loadConfig(p)
				if err != nil {
					t.Fatal(err)
				}
				if c.Auth.BootstrapAdminToken != "from-"+name {
					t.Fatalf("with file %q: auth.bootstrap_admin_token is %q, want it from %s", p, c.Auth.BootstrapAdminToken, name)
				}
			}
		})
	}
}

// TestConfigErrorsNameTheKey checks that a bad file is an error that names
// the key (and, for keys that do not exist, the file), and never shows the
// configured password.
func TestConfigErrorsNameTheKey(t *testing.T) {
	const password = "pa55-Very-Secret"
	cases := []struct {
		name string
		// yaml is the file, with PASSWORD for the password; a file that
		// does not set mysql.password gets one.
		yaml string
		// says are in the error.
		says []string
		// withPath says whether the file's path must be in the error.
		withPath bool
	}{
		{name: "unknown section", yaml: "kafak:\n  brokers: [a:1]\n", says: []string{"kafak"}, withPath: true},
		{name: "unknown key", yaml: "mysql:\n  hots: db\n", says: []string{"mysql", "hots"}, withPath: true},
		{name: "unknown nested key", yaml: "kafka:\n  internal_topics:\n    replicas: 3\n", says: []string{"kafka.internal_topics", "replicas"}, withPath: true},
		{name: "wrong type", yaml: "mysql:\n  port: abc\n", says: []string{"mysql.port"}, withPath: true},
		{name: "wrong type of duration", yaml: "outbox:\n  poll_interval: soon\n", says: []string{"outbox.poll_interval"}, withPath: true},
		{name: "wrong type of bool", yaml: "topic_manager:\n  sync_orphaned_topics: maybe\n", says: []string{"topic_manager.sync_orphaned_topics"}, withPath: true},
		{name: "single value for a section", yaml: "log: loud\n", says: []string{"log: want a section"}, withPath: true},
		{name: "single value for a nested section", yaml: "kafka:\n  internal_topics: 3\n", says: []string{"kafka.internal_topics: want a section"}, withPath: true},
		{name: "list for a section", yaml: "kafka: [host:9092]\n", says: []string{"kafka: want a section"}, withPath: true},
		{name: "bad log level", yaml: "log:\n  level: loud\n", says: []string{"log.level", "loud"}, withPath: true},
		{name: "bad log format", yaml: "log:\n  format: xml\n", says: []string{"log.format"}, withPath: true},
		{name: "unknown role", yaml: "server:\n  roles: [api, cook]\n", says: []string{"server.roles", "cook"}, withPath: true},
		{name: "port out of range", yaml: "mysql:\n  port: 70000\n", says: []string{"mysql.port"}, withPath: true},
		{name: "no brokers", yaml: "kafka:\n  brokers: []\n", says: []string{"kafka.brokers"}, withPath: true},
		{name: "broker without port", yaml: "kafka:\n  brokers: [localhost]\n", says: []string{"kafka.brokers", "localhost"}, withPath: true},
		{name: "bad kafka version", yaml: "kafka:\n  version: latest\n", says: []string{"kafka.version"}, withPath: true},
		{name: "unknown compression", yaml: "kafka:\n  producer:\n    compression: brotli\n", says: []string{"kafka.producer.compression", "brotli", "gzip"}, withPath: true},
		{name: "empty http address", yaml: "server:\n  http_addr: \"\"\n", says: []string{"server.http_addr"}, withPath: true},
		{name: "zero poll interval", yaml: "outbox:\n  poll_interval: 0s\n", says: []string{"outbox.poll_interval"}, withPath: true},
		{name: "every problem at once", yaml: "log:\n  level: loud\n  format: xml\nserver:\n  roles: [cook]\n",
			says: []string{"log.level", "log.format", "server.roles"}, withPath: true},
		{name: "malformed YAML", yaml: "mysql:\n  host: [unclosed\n", withPath: true},
		{name: "password of the wrong type", yaml: "mysql:\n  password: [PASSWORD, again]\n", says: []string{"mysql.password"}, withPath: true},
		{name: "password as a map", yaml: "mysql:\n  password:\n    value: PASSWORD\n", says: []string{"mysql.password"}, withPath: true},
		{name: "password with another bad key", yaml: "mysql:\n  password: PASSWORD\n  port: abc\n  tls: [PASSWORD]\n", says: []string{"mysql.port"}, withPath: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			isolateEnv(t)
			text := strings.ReplaceAll(c.yaml, "PASSWORD", password)
			if !strings.Contains(text, "password:") {
				if !strings.Contains(text, "mysql:\n") {
					text += "mysql:\n"
				}
				text = strings.Replace(text, "mysql:\n", "mysql:\n  password: "+password+"\n", 1)
			}
			path := writeConfig(t, text)
			_, err := loadConfig(path)
			if err == nil {
				t.Fatalf("loaded:\n%s", text)
			}
			msg := err.Error()
			t.Logf("error: %s", msg)
			for _, s := range c.says {
				if !strings.Contains(msg, s) {
					t.Errorf("error does not name %q: %s", s, msg)
				}
			}
			if c.withPath && !strings.Contains(msg, path) {
				t.Errorf("error does not name the file %s: %s", path, msg)
			}
			if strings.Contains(msg, password) {
				t.Errorf("error shows the password: %s", msg)
			}
		})
	}

	t.Run("missing file", func(t *testing.T) {
		isolateEnv(t)
		path := filepath.Join(t.TempDir(), "absent.yaml")
		if _, err := loadConfig(path); err == nil || !strings.Contains(err.Error(), path) {
			t.Fatalf("missing file: %v, want an error naming %s", err, path)
		}
	})

	t.Run("bad environment value", func(t *testing.T) {
		isolateEnv(t)
		t.Setenv("KDS_MYSQL_PASSWORD", password)
		t.Setenv("KDS_MYSQL_PORT", "abc")
		t.Setenv("KDS_LOG_LEVEL", "loud")
		_, err := loadConfig("")
		if err == nil || !strings.Contains(err.Error(), "mysql.port") {
			t.Fatalf("KDS_MYSQL_PORT=abc: %v, want an error naming mysql.port", err)
		}
		if strings.Contains(err.Error(), password) {
			t.Fatalf("error shows the password: %v", err)
		}
	})
}
