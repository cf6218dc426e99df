package httpjson

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/kds-io/kds/adapters/httpapi/apiv1"
	"github.com/kds-io/kds/app"
	"github.com/kds-io/kds/app/access"
	"github.com/kds-io/kds/app/auth"
	"github.com/kds-io/kds/app/command"
	"github.com/kds-io/kds/app/content"
	"github.com/kds-io/kds/app/query"
	"github.com/kds-io/kds/app/subscription"
	"github.com/kds-io/kds/app/topic"
)

// requestError is a malformed request: bad JSON, a bad parameter.
type requestError struct{ msg string }

func (e *requestError) Error() string { return e.msg }

// ErrACLsNotManaged answers what only an installation with
// kafka.manage_acls has: 404.
var ErrACLsNotManaged = errors.New("kds does not manage Kafka credentials and ACLs here (kafka.manage_acls is off): use the Kafka credentials your operator gave you")

// BadRequest is an error answered with 400 and msg.
func BadRequest(msg string) error { return &requestError{msg: msg} }

// Status maps an error to the HTTP status it is answered with.
func Status(err error) int {
	var (
		req         *requestError
		notFound    *topic.NotFoundError
		cmdNotFound *query.CommandNotFoundError
		illegal     *topic.IllegalTransitionError
		exists      *topic.AlreadyExistsError
		collision   *topic.CollisionError
		fixed       *topic.UnchangeableError
		unchanged   *topic.UnchangedError
		stale       *command.StaleGenerationError
		refused     *command.ClusterRefusedError
		forbidden   *auth.ForbiddenError
		notYours    *auth.ConsumerForbiddenError
		tokenName   *auth.InvalidTokenNameError
		tokenFor    *auth.InvalidTokenConsumersError
		tooLarge    *http.MaxBytesError
		inactive    *content.NotActiveError
		noPartition *content.NoSuchPartitionError
		noDrift     query.NoReconciliationError
		noPoison    *command.PoisonNotFoundError
		notKds      *command.UnverifiedPoisonError
		unsubbed    *command.NotSubscribedError
		consumerID  *subscription.InvalidConsumerIDError
		instance    *command.InvalidInstanceError
		mapped      *access.MappedPrincipalError
		unreadable  *access.ReadRefusedError
	)
	switch {
	case errors.As(err, &req), errors.As(err, &noPartition), errors.As(err, &tokenName), errors.As(err, &tokenFor), errors.As(err, &consumerID), errors.As(err, &instance):
		return http.StatusBadRequest
	case errors.As(err, &tooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, errBodyTimeout):
		return http.StatusRequestTimeout
	case errors.Is(err, auth.ErrUnauthenticated):
		return http.StatusUnauthorized
	case errors.As(err, &forbidden), errors.As(err, &notYours), errors.As(err, &unreadable):
		return http.StatusForbidden
	case errors.As(err, &notFound), errors.As(err, &cmdNotFound), errors.Is(err, auth.ErrTokenNotFound), errors.As(err, &unsubbed), errors.As(err, &noDrift),
		errors.As(err, &noPoison), errors.Is(err, ErrACLsNotManaged):
		return http.StatusNotFound
	case errors.As(err, &illegal), errors.As(err, &exists), errors.Is(err, auth.ErrTokenNameTaken), errors.Is(err, auth.ErrBootstrapTokenConfigured), errors.As(err, &collision), errors.As(err, &stale), errors.As(err, &inactive),
		errors.As(err, &notKds), errors.As(err, &fixed), errors.As(err, &unchanged), errors.As(err, &mapped), errors.Is(err, access.ErrNoStoredToken):
		return http.StatusConflict
	case errors.As(err, &refused):
		return http.StatusUnprocessableEntity
	case command.IsRefusal(err):
		return http.StatusBadRequest
	case errors.Is(err, app.ErrUnavailable), isDatabaseDown(err):
		return http.StatusServiceUnavailable
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout
	}
	return http.StatusInternalServerError
}

// isDatabaseDown recognises a lost database connection by the driver's
// words; the driver has no error type for it.
func isDatabaseDown(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "connection refused") || strings.Contains(msg, "invalid connection") ||
		strings.Contains(msg, "bad connection") || strings.Contains(msg, "i/o timeout")
}

// WriteError answers with err's status. Server faults are logged to log
// in full and answered in general terms; the rest are told as they are.
func WriteError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	code := Status(err)
	body := apiv1.ErrorBody{Error: err.Error()}
	switch {
	case code == http.StatusServiceUnavailable:
		log.Warn("dependency unavailable", "method", r.Method, "path", r.URL.Path, "err", err)
		body.Error = "service unavailable: " + err.Error()
	case code >= 500:
		log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		body.Error = "internal error; the server log has the details"
	}
	if joined, ok := err.(interface{ Unwrap() []error }); ok && code < 500 {
		for _, e := range joined.Unwrap() {
			body.Problems = append(body.Problems, e.Error())
		}
	}
	Write(w, code, body)
}
