package apiclient

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/kds-io/kds/adapters/httpapi/apiv1"
)

// Ready asks /readyz, which needs no token, for each readiness check of
// the API's process; a process that is not ready answers too.
func (c *Client) Ready(ctx context.Context) (apiv1.Readiness, error) {
	u := *c.base
	u.Path = strings.TrimRight(c.base.Path, "/") + "/readyz"
	u.RawPath = ""
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return apiv1.Readiness{}, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return apiv1.Readiness{}, ctx.Err()
		}
		return apiv1.Readiness{}, &UnreachableError{URL: c.URL(), Err: unwrapURLError(err)}
	}
	defer resp.Body.Close()
	var rd apiv1.Readiness
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusServiceUnavailable {
		return apiv1.Readiness{}, &APIError{Status: resp.StatusCode, Message: fmt.Sprintf("GET /readyz: %s", resp.Status)}
	}
	if err := json.NewDecoder(resp.Body).Decode(&rd); err != nil {
		return apiv1.Readiness{}, fmt.Errorf("GET /readyz: unreadable answer: %w", err)
	}
	return rd, nil
}
