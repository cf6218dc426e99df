package jsonapi

import (
	"context"
	"fmt"
	"net/http"

	"github.com/kds-io/kds/adapters/httpapi/apiv1"
	"github.com/kds-io/kds/adapters/httpapi/internal/httpjson"
	"github.com/kds-io/kds/app/auth"
	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/query"
	"github.com/kds-io/kds/app/topic"
)

func (api *API) listTopics(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var f query.TopicFilter
	if v := r.URL.Query().Get("status"); v != "" {
		st, err := topic.ParseStatus(v)
		if err != nil {
			httpjson.WriteError(w, r, api.log, httpjson.BadRequest(err.Error()))
			return
		}
		f.Status = st
	}
	topics, err := api.app.Queries.Topics(r.Context(), p, f)
	if err != nil {
		httpjson.WriteError(w, r, api.log, err)
		return
	}
	httpjson.Write(w, http.StatusOK, httpjson.NonNil(topics))
}

// showTopic answers at once, or with wait and wait_while=STATUS once the
// topic has left that status or the topic manager failed to move it on.
func (api *API) showTopic(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	name := r.PathValue("name")
	wait, err := waitParam(r)
	if err != nil {
		httpjson.WriteError(w, r, api.log, err)
		return
	}
	var while topic.Status
	if v := r.URL.Query().Get("wait_while"); v != "" {
		if while, err = topic.ParseStatus(v); err != nil {
			httpjson.WriteError(w, r, api.log, httpjson.BadRequest(err.Error()))
			return
		}
	}
	var t query.Topic
	err = api.await(r.Context(), wait, name, func(ctx context.Context) (bool, error) {
		var err error
		t, err = api.app.Queries.Topic(ctx, p, name)
		return while == "" || t.Status != while || t.Error != "", err
	})
	if err != nil {
		httpjson.WriteError(w, r, api.log, err)
		return
	}
	httpjson.Write(w, http.StatusOK, t)
}

// drift answers what the last reconciliation of MySQL with Kafka found.
func (api *API) drift(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	rec, err := api.app.Queries.Drift(r.Context(), p)
	if err != nil {
		httpjson.WriteError(w, r, api.log, err)
		return
	}
	httpjson.Write(w, http.StatusOK, rec)
}

func (api *API) topicHistory(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	h, err := api.app.Queries.History(r.Context(), p, r.PathValue("name"))
	if err != nil {
		httpjson.WriteError(w, r, api.log, err)
		return
	}
	httpjson.Write(w, http.StatusOK, h)
}

func (api *API) requestTopic(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var req apiv1.TopicRequest
	if err := httpjson.Decode(r, &req); err != nil {
		httpjson.WriteError(w, r, api.log, err)
		return
	}
	is := command.Issue{Type: command.RequestTopicType, Topic: req.Name, Reason: req.Reason,
		Partitions: req.Partitions, ReplicationFactor: req.ReplicationFactor, Configs: req.Configs, Owner: req.Owner, Description: req.Description,
		Producers: req.Producers, Consumers: req.Consumers}
	if req.DryRun {
		cmd, err := api.app.Commands.Issue.DryRun(r.Context(), p, is)
		if err != nil {
			httpjson.WriteError(w, r, api.log, err)
			return
		}
		httpjson.Write(w, http.StatusOK, apiv1.CommandResponse{Command: query.Command{Command: cmd}, DryRun: true})
		return
	}
	api.issue(w, r, p, is)
}

// updateTopic changes an active topic to the spec and details asked.
func (api *API) updateTopic(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var u apiv1.TopicUpdate
	if err := httpjson.Decode(r, &u); err != nil {
		httpjson.WriteError(w, r, api.log, err)
		return
	}
	api.issue(w, r, p, command.Issue{Type: command.UpdateTopicType, Topic: r.PathValue("name"), Reason: u.Reason,
		Partitions: u.Partitions, ReplicationFactor: u.ReplicationFactor, Configs: u.Configs, Owner: u.Owner, Description: u.Description,
		Producers: u.Producers, Consumers: u.Consumers})
}

var decisionTypes = map[string]command.Type{
	"approve":    command.ApproveTopicType,
	"reject":     command.RejectTopicType,
	"deactivate": command.DeactivateTopicType,
}

func (api *API) decideTopic(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	t, ok := decisionTypes[r.PathValue("action")]
	if !ok {
		httpjson.WriteError(w, r, api.log, httpjson.BadRequest(fmt.Sprintf("unknown action %q (want approve, reject or deactivate)", r.PathValue("action"))))
		return
	}
	var d apiv1.Decision
	if r.ContentLength != 0 {
		if err := httpjson.Decode(r, &d); err != nil {
			httpjson.WriteError(w, r, api.log, err)
			return
		}
	}
	api.issue(w, r, p, command.Issue{Type: t, Topic: r.PathValue("name"), Reason: d.Reason})
}

func (api *API) issue(w http.ResponseWriter, r *http.Request, p auth.Principal, is command.Issue) {
	cmds, err := api.app.Commands.Issue.Handle(r.Context(), p, is)
	api.commandsIssued(err, is)
	if err != nil {
		httpjson.WriteError(w, r, api.log, err)
		return
	}
	httpjson.Write(w, http.StatusAccepted, apiv1.CommandResponse{Command: query.Command{Command: cmds[0], Status: command.Queued}})
}
