package request

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"testing"
)

// resolved runs a request from peer with headers through a resolver and
// returns what the handler saw.
func resolved(t *testing.T, rv *Resolver, peer string, tlsConn bool, headers map[string]string) (addr string, https bool, same bool) {
	t.Helper()
	r := httptest.NewRequest("POST", "http://meibo.example.com/signin", nil)
	r.RemoteAddr = peer
	if tlsConn {
		r.TLS = &tls.ConnectionState{}
	}
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	rv.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		addr, https, same = ClientAddr(r), IsHTTPS(r), SameOrigin(r)
	})).ServeHTTP(httptest.NewRecorder(), r)
	return
}

func TestClientAddr(t *testing.T) {
	trusted, err := ParsePrefixes("10.0.0.0/8, 127.0.0.1 ::1")
	if err != nil {
		t.Fatal(err)
	}
	rv, err := NewResolver(trusted, "")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name      string
		peer      string
		headers   map[string]string
		wantAddr  string
		wantHTTPS bool
	}{
		{"no proxy", "203.0.113.9:5000", nil, "203.0.113.9", false},
		{"untrusted peer's X-Forwarded-For is ignored", "203.0.113.9:5000",
			map[string]string{"X-Forwarded-For": "198.51.100.1", "X-Forwarded-Proto": "https"}, "203.0.113.9", false},
		{"trusted proxy", "127.0.0.1:5000", map[string]string{"X-Forwarded-For": "198.51.100.1", "X-Forwarded-Proto": "https"}, "198.51.100.1", true},
		{"right-most untrusted hop: a client cannot choose its address", "127.0.0.1:5000",
			map[string]string{"X-Forwarded-For": "1.1.1.1, 198.51.100.7, 10.1.2.3"}, "198.51.100.7", false},
		{"trusted proxy over IPv6, port in the header", "[::1]:5000", map[string]string{"X-Forwarded-For": "[2001:db8::5]:4711"}, "2001:db8::5", false},
		{"every hop trusted: the left-most", "127.0.0.1:5000", map[string]string{"X-Forwarded-For": "10.9.9.9, 10.1.1.1"}, "10.9.9.9", false},
		{"trusted proxy without headers", "127.0.0.1:5000", nil, "127.0.0.1", false},
		{"Forwarded", "10.0.0.2:5000", map[string]string{"Forwarded": `for=192.0.2.60;proto=https;by=203.0.113.43`}, "192.0.2.60", true},
		{"Forwarded, quoted IPv6 with port, several hops", "10.0.0.2:5000",
			map[string]string{"Forwarded": `for="[2001:db8:cafe::17]:4711";proto=https, for=10.0.0.1;proto=http`}, "2001:db8:cafe::17", true},
		{"Forwarded wins over X-Forwarded-For", "10.0.0.2:5000",
			map[string]string{"Forwarded": `For=192.0.2.61`, "X-Forwarded-For": "198.51.100.1"}, "192.0.2.61", false},
		{"Forwarded from an untrusted peer is ignored", "203.0.113.9:5000", map[string]string{"Forwarded": `for=192.0.2.60;proto=https`}, "203.0.113.9", false},
		{"an obfuscated hop stops the walk at the proxy that reported it", "10.0.0.2:5000",
			map[string]string{"Forwarded": `for=192.0.2.60, for=_hidden, for=10.0.0.1`}, "10.0.0.1", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			addr, https, _ := resolved(t, rv, c.peer, false, c.headers)
			if addr != c.wantAddr || https != c.wantHTTPS {
				t.Errorf("addr %s https %v, want %s %v", addr, https, c.wantAddr, c.wantHTTPS)
			}
		})
	}
	// Without the middleware, the peer.
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "127.0.0.1:1"
	r.Header.Set("X-Forwarded-For", "198.51.100.1")
	if got := ClientAddr(r); got != "127.0.0.1" {
		t.Errorf("without the middleware: %s", got)
	}
}

func TestParsePrefixesRefusesNonsense(t *testing.T) {
	for _, s := range []string{"10.0.0.0/33", "proxy.example.com", "10.0.0.0/8,nope"} {
		if _, err := ParsePrefixes(s); err == nil {
			t.Errorf("%q was taken", s)
		}
	}
}

func TestHTTPSAndOrigin(t *testing.T) {
	plain, _ := NewResolver(nil, "")
	public, _ := NewResolver(nil, "https://meibo.example.com")
	cases := []struct {
		name      string
		rv        *Resolver
		tls       bool
		headers   map[string]string
		wantHTTPS bool
		wantSame  bool
	}{
		{"no browser headers", plain, false, nil, false, true},
		{"same origin", plain, false, map[string]string{"Origin": "http://meibo.example.com", "Sec-Fetch-Site": "same-origin"}, false, true},
		{"another origin", plain, false, map[string]string{"Origin": "http://evil.example.net"}, false, false},
		{"cross-site without Origin", plain, false, map[string]string{"Sec-Fetch-Site": "cross-site"}, false, false},
		{"null origin, same origin by Sec-Fetch-Site", plain, false, map[string]string{"Origin": "null", "Sec-Fetch-Site": "same-origin"}, false, true},
		{"null origin, cross-site", plain, false, map[string]string{"Origin": "null", "Sec-Fetch-Site": "cross-site"}, false, false},
		{"null origin, same site (a sibling host)", plain, false, map[string]string{"Origin": "null", "Sec-Fetch-Site": "same-site"}, false, false},
		{"http origin to a TLS connection", plain, true, map[string]string{"Origin": "http://meibo.example.com"}, true, false},
		{"TLS", plain, true, map[string]string{"Origin": "https://meibo.example.com"}, true, true},
		{"https public URL", public, false, map[string]string{"Origin": "https://meibo.example.com"}, true, true},
		{"https public URL, another port", public, false, map[string]string{"Origin": "https://meibo.example.com:8443"}, true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, https, same := resolved(t, c.rv, "192.0.2.1:1000", c.tls, c.headers)
			if https != c.wantHTTPS || same != c.wantSame {
				t.Errorf("https %v same origin %v, want %v %v", https, same, c.wantHTTPS, c.wantSame)
			}
		})
	}
}
