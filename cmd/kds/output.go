package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kds-io/kds/adapters/httpapi/apiclient"
)

// printJSON writes v indented, for scripts.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printTable writes rows under header, aligned, each cell made visible
// (terminal.go): cells hold text from other people and processes.
func printTable(w io.Writer, header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		cells := make([]string, len(r))
		for i, c := range r {
			cells[i] = visible(c)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

// ago says how long ago t was, roughly.
func ago(t time.Time) string {
	d := time.Since(t)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// clientConfig is the configuration of a client command: the built-in
// defaults, a file only when --config or KDS_CONFIG names one, the KDS_*
// variables, and --api-url and --token over them.
func (g *globals) clientConfig() (Config, error) {
	path := g.configFile
	if path == "" {
		path = os.Getenv("KDS_CONFIG")
	}
	c, err := loadConfig(path)
	if err != nil {
		return Config{}, err
	}
	if g.apiURL != "" {
		c.Client.APIURL = g.apiURL
	}
	if g.token != "" {
		c.Client.Token = g.token
	}
	return c, nil
}

// client is the API client of the client configuration.
func (g *globals) client() (*apiclient.Client, error) {
	c, err := g.clientConfig()
	if err != nil {
		return nil, err
	}
	return c.apiClient()
}

// apiClient talks to client.api_url with client.token.
func (c Config) apiClient() (*apiclient.Client, error) {
	if c.Client.Token == "" {
		return nil, &usageError{msg: "no API token: set KDS_TOKEN or pass --token (kds dev prints one)"}
	}
	return apiclient.New(c.Client.APIURL, c.Client.Token)
}

// quantity is n and noun, in the plural unless n is 1: "1 message",
// "2 messages".
func quantity[N int | int64](n N, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
