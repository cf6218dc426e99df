package httpapi

import "net/http"

// contentSecurityPolicy lets a page from kds load only kds's own files and
// talk only to kds: no inline scripts or styles, no frames around it, and
// Trusted Types, under which assigning a string to innerHTML throws, so
// that untrusted text can only ever reach the page as text.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; " +
	"frame-ancestors 'none'; require-trusted-types-for 'script'; trusted-types 'none'"

// setSecurityHeaders is set on every answer, the API's JSON included: none
// of it is meant to be framed, sniffed or followed by a Referer.
func setSecurityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
}
