package main

import (
	"bufio"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/kds-io/kds/cmd/kds/internal/service"
)

// examplesDir is configs/, from cmd/kds where the tests run.
const examplesDir = "../../configs"

// envNames are the environment variables that set Config keys: KDS_ and
// the key path, and the aliases.
func envNames(t *testing.T) []string {
	t.Helper()
	var names []string
	for _, f := range configFields(t, reflect.ValueOf(Config{}), "") {
		names = append(names, "KDS_"+strings.ToUpper(strings.ReplaceAll(f.path, ".", "_")))
	}
	for _, alias := range envAliases {
		names = append(names, alias)
	}
	return names
}

// TestExampleConfigsLoad loads every example configuration file as kds
// serve would, and checks the roles each one is for.
func TestExampleConfigsLoad(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(examplesDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	roles := map[string][]string{
		"kds.yaml":         service.AllRoles,
		"broker-host.yaml": {service.RoleTopicManager, service.RoleLifecycle, service.RoleForwarder},
		"admin-host.yaml":  {service.RoleAPI},
	}
	seen := 0
	for _, path := range files {
		name := filepath.Base(path)
		switch name {
		case "compose.yaml":
			continue // not a kds configuration: TestComposeFileSetsKnownKeys
		case "topics.example.yaml":
			continue // a declaration of topics: TestTheDeclarationSchemaMatchesKds
		}
		t.Run(name, func(t *testing.T) {
			isolateEnv(t)
			c, err := loadConfig(path)
			if err != nil {
				t.Fatalf("kds serve --config %s: %v", path, err)
			}
			want, ok := roles[name]
			if !ok {
				t.Fatalf("%s: an example this test does not know; add its roles here", name)
			}
			if !slices.Equal(c.Server.Roles, want) {
				t.Errorf("server.roles %v, want %v", c.Server.Roles, want)
			}
			if name != "kds.yaml" && (c.MySQL.Password != "" || c.Kafka.SASL.Password != "" || c.Auth.BootstrapAdminToken != "") {
				t.Errorf("an example holds a secret; secrets belong in the environment")
			}
			seen++
		})
	}
	if seen != len(roles) {
		t.Errorf("loaded %d example files, want %d", seen, len(roles))
	}
}

// TestClientEnvSetsOnlyWhatClientsRead checks configs/client.env: every
// variable in it, set or commented out, is one the CLI reads on a client
// machine, and the file sets no server key such as KDS_MYSQL_*.
func TestClientEnvSetsOnlyWhatClientsRead(t *testing.T) {
	f, err := os.Open(filepath.Join(examplesDir, "client.env"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	client := []string{"KDS_API_URL", "KDS_TOKEN", "KDS_KAFKA_BROKERS"}
	for _, n := range envNames(t) {
		if strings.HasPrefix(n, "KDS_KAFKA_TLS_") || strings.HasPrefix(n, "KDS_KAFKA_SASL_") || strings.HasPrefix(n, "KDS_KAFKA_PRODUCER_") {
			client = append(client, n)
		}
	}
	set := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		commented := strings.HasPrefix(line, "# KDS_")
		line = strings.TrimPrefix(line, "# ")
		name, _, ok := strings.Cut(line, "=")
		if !ok || !strings.HasPrefix(name, "KDS_") || strings.Contains(name, " ") {
			continue
		}
		if !slices.Contains(client, name) {
			t.Errorf("client.env has %s, which the CLI does not read", name)
		}
		set[name] = set[name] || !commented
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"KDS_API_URL", "KDS_TOKEN"} {
		if !set[name] {
			t.Errorf("client.env does not set %s", name)
		}
	}
	for _, name := range []string{"KDS_KAFKA_SASL_MECHANISM", "KDS_KAFKA_SASL_PASSWORD", "KDS_KAFKA_TLS_CA_FILE"} {
		if _, ok := set[name]; !ok {
			t.Errorf("client.env does not show %s", name)
		}
	}
}

// TestComposeFileSetsKnownKeys checks configs/compose.yaml as far as it
// can be checked without Docker: it parses, has the three services, and
// the kds service's KDS_ variables are all keys that load and validate.
func TestComposeFileSetsKnownKeys(t *testing.T) {
	isolateEnv(t)
	raw, err := os.ReadFile(filepath.Join(examplesDir, "compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]struct {
			Image       string            `yaml:"image"`
			Command     []string          `yaml:"command"`
			Environment map[string]string `yaml:"environment"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(raw, &compose); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	for _, s := range []string{"kafka", "mysql", "kds"} {
		if _, ok := compose.Services[s]; !ok {
			t.Fatalf("compose.yaml has no %s service", s)
		}
	}
	if img := compose.Services["kafka"].Image; !strings.HasPrefix(img, "apache/kafka:") {
		t.Errorf("kafka image %q, want apache/kafka", img)
	}
	kds := compose.Services["kds"]
	if !slices.Equal(kds.Command, []string{"go", "run", "./cmd/kds", "serve"}) {
		t.Errorf("kds command %q", kds.Command)
	}
	known := envNames(t)
	for name, value := range kds.Environment {
		if !strings.HasPrefix(name, "KDS_") {
			continue
		}
		if !slices.Contains(known, name) {
			t.Errorf("compose.yaml sets %s, which is no kds key", name)
		}
		t.Setenv(name, value)
	}
	c, err := loadConfig("")
	if err != nil {
		t.Fatalf("kds serve with compose.yaml's environment: %v", err)
	}
	if c.MySQL.Host != "mysql" || !slices.Equal(c.Kafka.Brokers, []string{"kafka:9092"}) || c.Server.HTTPAddr != "0.0.0.0:8080" {
		t.Errorf("compose.yaml's environment gave %+v", c)
	}
	if mysqlEnv := compose.Services["mysql"].Environment; mysqlEnv["MYSQL_PASSWORD"] != c.MySQL.Password || mysqlEnv["MYSQL_USER"] != c.MySQL.User {
		t.Errorf("kds's MySQL user and password differ from the mysql service's")
	}
}
