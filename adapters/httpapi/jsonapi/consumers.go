package jsonapi

import (
	"fmt"
	"net/http"

	"github.com/kds-io/kds/adapters/httpapi/apiv1"
	"github.com/kds-io/kds/adapters/httpapi/internal/httpjson"
	"github.com/kds-io/kds/app/auth"
	"github.com/kds-io/kds/app/subscription"
	"github.com/kds-io/kds/app/topic"
)

func (api *API) cluster(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if err := auth.Authorize(p, auth.ReachKafka); err != nil {
		httpjson.WriteError(w, r, api.log, err)
		return
	}
	httpjson.Write(w, http.StatusOK, apiv1.Cluster{KafkaBrokers: httpjson.NonNil(api.kafkaBrokers), ManagedCredentials: api.app.Access != nil})
}

// listConsumers answers with a weak ETag of everything but the processes'
// heartbeat times, so that the dashboard's periodic re-read for liveness
// gets a 304 when nothing it shows changed (consumers_etag.go).
func (api *API) listConsumers(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	cs, err := api.app.Queries.Consumers(r.Context(), p)
	if err != nil {
		httpjson.WriteError(w, r, api.log, err)
		return
	}
	cs = httpjson.NonNil(cs)
	tag := consumersETag(cs)
	w.Header().Set("ETag", tag)
	w.Header().Set("Cache-Control", "no-cache")
	if etagMatches(r.Header.Get("If-None-Match"), tag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	httpjson.Write(w, http.StatusOK, cs)
}

func (api *API) showConsumer(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	id, err := subscription.ParseConsumerID(r.PathValue("id"))
	if err != nil {
		httpjson.WriteError(w, r, api.log, httpjson.BadRequest(err.Error()))
		return
	}
	c, err := api.app.Queries.Consumer(r.Context(), p, id)
	if err != nil {
		httpjson.WriteError(w, r, api.log, err)
		return
	}
	httpjson.Write(w, http.StatusOK, c)
}

// subscribe answers 201 with a new subscription, 200 with the existing one.
func (api *API) subscribe(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var req apiv1.SubscribeRequest
	if r.ContentLength != 0 {
		if err := httpjson.Decode(r, &req); err != nil {
			httpjson.WriteError(w, r, api.log, err)
			return
		}
	}
	sub, created, err := api.app.Commands.Subscriptions.Subscribe(r.Context(), p, r.PathValue("id"), r.PathValue("topic"), req.FromBeginning)
	if err != nil {
		httpjson.WriteError(w, r, api.log, err)
		return
	}
	code := http.StatusOK
	if created {
		code = http.StatusCreated
	}
	httpjson.Write(w, code, sub)
}

func (api *API) unsubscribe(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if err := api.app.Commands.Subscriptions.Unsubscribe(r.Context(), p, r.PathValue("id"), r.PathValue("topic")); err != nil {
		httpjson.WriteError(w, r, api.log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (api *API) reportInstance(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var rep apiv1.InstanceReport
	if err := httpjson.Decode(r, &rep); err != nil {
		httpjson.WriteError(w, r, api.log, err)
		return
	}
	if err := validConsumed(rep.Consumed); err != nil {
		httpjson.WriteError(w, r, api.log, err)
		return
	}
	inst := subscription.Instance{ID: r.PathValue("instance"), ConsumerID: subscription.ConsumerID(r.PathValue("id")),
		Host: rep.Host, PID: rep.PID, Attached: rep.Attached}
	if err := api.app.Commands.Subscriptions.Report(r.Context(), p, inst); err != nil {
		httpjson.WriteError(w, r, api.log, err)
		return
	}
	api.consumed.Observe(r.Context(), string(inst.ConsumerID)+"/"+inst.ID, rep.Consumed)
	w.WriteHeader(http.StatusNoContent)
}

func (api *API) leaveInstance(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if err := api.app.Commands.Subscriptions.Leave(r.Context(), p, r.PathValue("id"), r.PathValue("instance")); err != nil {
		httpjson.WriteError(w, r, api.log, err)
		return
	}
	api.consumed.Forget(r.PathValue("id") + "/" + r.PathValue("instance"))
	w.WriteHeader(http.StatusNoContent)
}

// The bounds of a heartbeat's counts: how many topics it may report, and
// a count above maxConsumedCount (a process delivering ten million
// messages a second for three years) is refused as no count at all.
const (
	maxConsumedTopics = 10000
	maxConsumedCount  = 1_000_000_000_000_000
)

// validConsumed checks a heartbeat's counts.
func validConsumed(totals map[string]int64) error {
	if len(totals) > maxConsumedTopics {
		return httpjson.BadRequest(fmt.Sprintf("consumed: at most %d topics", maxConsumedTopics))
	}
	for name, n := range totals {
		if _, err := topic.ParseName(name); err != nil {
			return httpjson.BadRequest("consumed: " + err.Error())
		}
		if n < 0 || n > maxConsumedCount {
			return httpjson.BadRequest(fmt.Sprintf("consumed: topic %q: %d is not a count of messages delivered (0 to %d)", name, n, maxConsumedCount))
		}
	}
	return nil
}
