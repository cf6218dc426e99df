package jsonapi

import (
	"context"
	"net/http"
	"strconv"

	"github.com/kds-io/kds/adapters/httpapi/apiv1"
	"github.com/kds-io/kds/adapters/httpapi/internal/httpjson"
	"github.com/kds-io/kds/app/auth"
	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/query"
)

// maxBatch bounds a batch.
const maxBatch = 5000

func (api *API) issueCommands(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var req apiv1.BatchRequest
	if err := httpjson.Decode(r, &req); err != nil {
		httpjson.WriteError(w, r, api.log, err)
		return
	}
	if len(req.Commands) == 0 || len(req.Commands) > maxBatch {
		httpjson.WriteError(w, r, api.log, httpjson.BadRequest("a batch holds 1 to "+strconv.Itoa(maxBatch)+" commands"))
		return
	}
	issues := make([]command.Issue, len(req.Commands))
	for i, c := range req.Commands {
		issues[i] = command.Issue{Type: c.Type, Topic: c.Topic, Reason: c.Reason, Partitions: c.Partitions, ReplicationFactor: c.ReplicationFactor, Configs: c.Configs,
			Owner: c.Owner, Description: c.Description, Producers: c.Producers, Consumers: c.Consumers}
	}
	cmds, err := api.app.Commands.Issue.Handle(r.Context(), p, issues...)
	api.commandsIssued(err, issues...)
	if err != nil {
		httpjson.WriteError(w, r, api.log, err)
		return
	}
	resp := apiv1.BatchResponse{Commands: make([]query.Command, len(cmds))}
	for i, c := range cmds {
		resp.Commands[i] = query.Command{Command: c, Status: command.Queued}
	}
	httpjson.Write(w, http.StatusAccepted, resp)
}

func (api *API) listCommands(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	q := r.URL.Query()
	f := query.CommandFilter{Topic: q.Get("topic"), Status: command.Status(q.Get("status"))}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			httpjson.WriteError(w, r, api.log, httpjson.BadRequest("limit: want a number from 1 to 1000"))
			return
		}
		f.Limit = n
	}
	cmds, err := api.app.Queries.Commands(r.Context(), p, f)
	if err != nil {
		httpjson.WriteError(w, r, api.log, err)
		return
	}
	httpjson.Write(w, http.StatusOK, httpjson.NonNil(cmds))
}

// showCommand answers at once, or with wait once the command is settled.
func (api *API) showCommand(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	wait, err := waitParam(r)
	if err != nil {
		httpjson.WriteError(w, r, api.log, err)
		return
	}
	id := r.PathValue("id")
	c, err := api.app.Queries.Command(r.Context(), p, id)
	if err == nil && wait > 0 && !c.Status.IsSettled() {
		err = api.await(r.Context(), wait, c.Topic, func(ctx context.Context) (bool, error) {
			var err error
			c, err = api.app.Queries.Command(ctx, p, id)
			return c.Status.IsSettled(), err
		})
	}
	if err != nil {
		httpjson.WriteError(w, r, api.log, err)
		return
	}
	httpjson.Write(w, http.StatusOK, c)
}
