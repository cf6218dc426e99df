package httpapi

import (
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"

	"github.com/kds-io/kds/adapters/httpapi/apiv1"
	"github.com/kds-io/kds/adapters/httpapi/internal/httpjson"
)

// WithAllowedHosts names the hosts the API answers to besides IP
// addresses and localhost (server.allowed_hosts); "*" lets any through.
// A request for any other Host is refused: a page whose DNS name an
// attacker points at the API's address (DNS rebinding) reaches the API as
// that name, and the browser would let the page read the answers.
func WithAllowedHosts(hosts []string) Option {
	return func(s *Server) {
		for _, h := range hosts {
			s.allowedHosts = append(s.allowedHosts, strings.ToLower(strings.TrimSuffix(h, ".")))
		}
	}
}

// hostAllowed reports whether the API answers to the request's Host: an IP
// address (a rebinding page cannot have one as its origin), localhost, or
// a name given to WithAllowedHosts.
func (s *Server) hostAllowed(r *http.Request) bool {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
	return net.ParseIP(host) != nil || host == "localhost" || slices.Contains(s.allowedHosts, host) || slices.Contains(s.allowedHosts, "*")
}

// refuseHost answers a request for a host the API does not know as.
func (s *Server) refuseHost(w http.ResponseWriter, r *http.Request) {
	s.log.Warn("request for an unknown host refused", "host", r.Host, "path", r.URL.Path, "remote", r.RemoteAddr)
	httpjson.Write(w, http.StatusMisdirectedRequest, apiv1.ErrorBody{Error: fmt.Sprintf(
		"this kds API does not answer to the host %q; use its IP address, or add the name to server.allowed_hosts", r.Host)})
}
