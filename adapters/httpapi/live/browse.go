package live

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/kds-io/kds/adapters/httpapi/authn"
	"github.com/kds-io/kds/adapters/httpapi/internal/httpjson"
	"github.com/kds-io/kds/app/auth"
	"github.com/kds-io/kds/app/content"
	"github.com/kds-io/kds/app/query"
)

// browseTimeout bounds reading one page.
const browseTimeout = 15 * time.Second

// BrowseRoutes serves GET /api/v1/topics/{name}/records: a page of an
// active topic's messages, read by browser without a consumer group, for
// whom readers lets read it (every role when readers is nil), as the live
// messages.
func BrowseRoutes(mux *http.ServeMux, queries query.Queries, au *authn.Authenticator, readers Readers, browser content.Browser, log *slog.Logger) {
	mux.HandleFunc("GET /api/v1/topics/{name}/records", au.Require(func(w http.ResponseWriter, r *http.Request, p auth.Principal) {
		if err := auth.Authorize(p, auth.ReadTopics); err != nil {
			httpjson.WriteError(w, r, log, err)
			return
		}
		name := r.PathValue("name")
		req, err := browseRequest(name, r.URL.Query())
		if err != nil {
			httpjson.WriteError(w, r, log, httpjson.BadRequest(err.Error()))
			return
		}
		if err := requireActive(r.Context(), queries, p, name); err != nil {
			httpjson.WriteError(w, r, log, err)
			return
		}
		if err := mayRead(r.Context(), readers, p, name); err != nil {
			httpjson.WriteError(w, r, log, err)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), browseTimeout)
		defer cancel()
		page, err := browser.Browse(ctx, req)
		if err != nil {
			httpjson.WriteError(w, r, log, err)
			return
		}
		httpjson.Write(w, http.StatusOK, page)
	}))
}

// browseRequest reads a page's parameters: offset (P:O,...), from (a time
// in RFC 3339), partition, key, grep and limit.
func browseRequest(name string, q url.Values) (content.Browse, error) {
	req := content.Browse{Topic: name, Partition: -1, Limit: content.DefaultBrowseLimit, Grep: q.Get("grep")}
	var err error
	if v := q.Get("offset"); v != "" {
		if req.Positions, err = content.ParsePositions(v); err != nil {
			return req, err
		}
	}
	if v := q.Get("from"); v != "" {
		if req.From, err = time.Parse(time.RFC3339Nano, v); err != nil {
			return req, fmt.Errorf("from %q: want a time such as 2026-01-02T10:42:00Z", v)
		}
	}
	if v := q.Get("partition"); v != "" {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil || n < 0 {
			return req, fmt.Errorf("partition %q: want a whole number from 0", v)
		}
		req.Partition = int32(n)
	}
	if q.Has("key") {
		req.Key, req.HasKey = q.Get("key"), true
	}
	if v := q.Get("limit"); v != "" {
		if req.Limit, err = strconv.Atoi(v); err != nil {
			return req, fmt.Errorf("limit %q: want a whole number", v)
		}
	}
	return req, req.Validate()
}
