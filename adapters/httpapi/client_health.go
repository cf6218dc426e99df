package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// Ready asks /readyz, which needs no token, for each readiness check of
// the API's process; a process that is not ready answers too.
func (c *Client) Ready(ctx context.Context) (Readiness, error) {
	u := *c.base
	u.Path = strings.TrimRight(c.base.Path, "/") + "/readyz"
	u.RawPath = ""
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return Readiness{}, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return Readiness{}, ctx.Err()
		}
		return Readiness{}, &UnreachableError{URL: c.URL(), Err: unwrapURLError(err)}
	}
	defer resp.Body.Close()
	var rd Readiness
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusServiceUnavailable {
		return Readiness{}, &APIError{Status: resp.StatusCode, Message: fmt.Sprintf("GET /readyz: %s", resp.Status)}
	}
	if err := json.NewDecoder(resp.Body).Decode(&rd); err != nil {
		return Readiness{}, fmt.Errorf("GET /readyz: unreadable answer: %w", err)
	}
	return rd, nil
}
