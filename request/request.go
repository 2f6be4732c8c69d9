// Package request resolves what the connection of an HTTP request tells and
// what a reverse proxy in front of meibo adds to it: the client's address
// (X-Forwarded-For or RFC 7239 Forwarded, read only from trusted proxies),
// whether the client reached meibo over https, and the origin meibo is
// reached at. It also bounds request bodies: their size per route, and the
// time to read them on routes that need no credentials.
//
// It is resolved once per request (Resolver.Middleware) and kept in the
// request's context, so that throttling, audit, request logs and rate
// limits all see the same client. It imports the domain only.
package request

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
)

// Resolver reads the client of a request through trusted proxies.
type Resolver struct {
	trusted []netip.Prefix
	// public is the origin of the public URL ("https://meibo.example.com"),
	// "" without one.
	public      string
	publicHTTPS bool
}

// NewResolver returns a resolver that reads forwarded headers only from
// peers in trusted, and treats every request as https when publicURL is
// an https URL.
func NewResolver(trusted []netip.Prefix, publicURL string) (*Resolver, error) {
	rv := &Resolver{trusted: trusted}
	if publicURL != "" {
		u, err := url.Parse(publicURL)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, fmt.Errorf("the public URL %q is not an http(s) URL", publicURL)
		}
		rv.public = strings.ToLower(u.Scheme + "://" + u.Host)
		rv.publicHTTPS = u.Scheme == "https"
	}
	return rv, nil
}

// ParsePrefixes reads a list of CIDRs or single addresses separated by commas
// or spaces ("10.0.0.0/8, 127.0.0.1, ::1").
func ParsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
		if strings.Contains(f, "/") {
			p, err := netip.ParsePrefix(f)
			if err != nil {
				return nil, fmt.Errorf("%q is not a CIDR range: %w", f, err)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not an address or a CIDR range: %w", f, err)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// info is what the resolver found out about a request.
type info struct {
	addr   string
	https  bool // the client reached meibo over https, or the public URL is https
	seen   bool // the connection, or a trusted proxy, says https
	public string
}

type infoKey struct{}

// Middleware resolves the client of every request once and keeps it in the
// request's context for ClientAddr, IsHTTPS and SameOrigin.
func (rv *Resolver) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in := rv.resolve(r)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), infoKey{}, in)))
	})
}

func (rv *Resolver) isTrusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range rv.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func (rv *Resolver) resolve(r *http.Request) *info {
	in := &info{addr: peer(r), seen: r.TLS != nil, public: rv.public}
	in.https = in.seen || rv.publicHTTPS
	pa, err := netip.ParseAddr(in.addr)
	if err != nil || !rv.isTrusted(pa) {
		return in
	}
	// The peer is a trusted proxy: walk the hops it reports from the
	// right (the one nearest to meibo), skipping trusted proxies; the first
	// that is not one is the client. The protocol is the one the proxy
	// nearest to the client saw, i.e. of that same hop.
	hops := forwardedHops(r.Header)
	for i := len(hops) - 1; i >= 0; i-- {
		h := hops[i]
		a, err := netip.ParseAddr(h.addr)
		if err != nil {
			// An obfuscated or unknown hop: nothing past it can be
			// believed, and the client is the proxy that reported it.
			break
		}
		in.addr = a.Unmap().String()
		if h.proto != "" {
			in.seen = h.proto == "https"
		}
		if !rv.isTrusted(a) {
			break
		}
	}
	if len(hops) > 0 && !hasProtoPerHop(hops) {
		if p := lastValue(r.Header.Values("X-Forwarded-Proto")); p != "" {
			in.seen = strings.EqualFold(p, "https")
		}
	}
	in.https = in.seen || rv.publicHTTPS
	return in
}

type hop struct{ addr, proto string }

func hasProtoPerHop(hops []hop) bool {
	for _, h := range hops {
		if h.proto != "" {
			return true
		}
	}
	return false
}

// forwardedHops lists the hops of RFC 7239 Forwarded when the request has
// it, else of X-Forwarded-For, in order (client first).
func forwardedHops(h http.Header) []hop {
	if fw := h.Values("Forwarded"); len(fw) > 0 {
		return parseForwarded(strings.Join(fw, ","))
	}
	var hops []hop
	for _, v := range h.Values("X-Forwarded-For") {
		for _, f := range strings.Split(v, ",") {
			if f = strings.TrimSpace(f); f != "" {
				hops = append(hops, hop{addr: stripPort(f)})
			}
		}
	}
	return hops
}

// parseForwarded reads the for= and proto= parameters of each element of an
// RFC 7239 Forwarded header ("for=192.0.2.60;proto=https, for=\"[2001:db8::1]:4711\"").
func parseForwarded(v string) []hop {
	var hops []hop
	for _, elem := range splitQuoted(v, ',') {
		var h hop
		for _, pair := range splitQuoted(elem, ';') {
			k, val, ok := strings.Cut(strings.TrimSpace(pair), "=")
			if !ok {
				continue
			}
			val = strings.TrimSpace(val)
			if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
				val = strings.ReplaceAll(val[1:len(val)-1], `\"`, `"`)
			}
			switch strings.ToLower(strings.TrimSpace(k)) {
			case "for":
				h.addr = stripPort(val)
			case "proto":
				h.proto = strings.ToLower(val)
			}
		}
		if h.addr == "" {
			h.addr = "unknown"
		}
		hops = append(hops, h)
	}
	return hops
}

// splitQuoted splits s at sep outside double quotes.
func splitQuoted(s string, sep byte) []string {
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && quoted:
			i++
		case s[i] == '"':
			quoted = !quoted
		case s[i] == sep && !quoted:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// stripPort returns the address of "1.2.3.4", "1.2.3.4:80", "[::1]:80" or
// "::1".
func stripPort(s string) string {
	if strings.HasPrefix(s, "[") {
		if end := strings.Index(s, "]"); end > 0 {
			return s[1:end]
		}
		return s
	}
	if strings.Count(s, ":") == 1 {
		host, _, _ := strings.Cut(s, ":")
		return host
	}
	return s
}

func lastValue(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	parts := strings.Split(vs[len(vs)-1], ",")
	return strings.TrimSpace(parts[len(parts)-1])
}

func peer(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return a.Unmap().String()
	}
	return host
}

func from(r *http.Request) *info {
	in, _ := r.Context().Value(infoKey{}).(*info)
	return in
}

// ClientAddr is the client's address: as resolved by the middleware (through
// trusted proxies), else the connection's peer.
func ClientAddr(r *http.Request) string {
	if in := from(r); in != nil {
		return in.addr
	}
	return peer(r)
}

// IsHTTPS reports whether the client reached meibo over https: a TLS
// connection, a trusted proxy saying so, or an https public URL.
func IsHTTPS(r *http.Request) bool {
	if in := from(r); in != nil {
		return in.https
	}
	return r.TLS != nil
}

// SameOrigin reports whether a state-changing request comes from meibo's own
// pages. An Origin header decides when it names an origin: it must be the
// public URL's or the one the request was sent to. Otherwise (no Origin,
// or "null", which browsers send for meibo's pages too since they ask for
// no referrer) Sec-Fetch-Site decides: same-origin, or none (typed by the
// person). A request with neither header (not from a browser, or a very old
// one) passes; the CSRF token still guards it.
func SameOrigin(r *http.Request) bool {
	origin := strings.ToLower(r.Header.Get("Origin"))
	if origin != "" && origin != "null" {
		if in := from(r); in != nil && in.public != "" && origin == in.public {
			return true
		}
		scheme := "http"
		if in := from(r); (in != nil && in.seen) || (in == nil && r.TLS != nil) {
			scheme = "https"
		}
		return r.Host != "" && origin == strings.ToLower(scheme+"://"+r.Host)
	}
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
		return true
	}
	return false
}
