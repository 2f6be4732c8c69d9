package request

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
)

// bodiesServer serves Bodies with a form limit of 64 KiB read within 10 s.
func bodiesServer(t *testing.T) *httptest.Server {
	t.Helper()
	rule := func(*http.Request) BodyRule {
		return BodyRule{Max: 64 << 10, Flag: "form-max-bytes", Timeout: 10 * time.Second}
	}
	srv := httptest.NewServer(Bodies(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "read")
	}), rule, nil))
	t.Cleanup(srv.Close)
	return srv
}

// TestDeclaredTooLargeAtOnce: a body declared over the limit (under the
// 256 KiB net/http would read before answering) is refused at once and its
// connection closed, though only a few of its bytes ever come.
func TestDeclaredTooLargeAtOnce(t *testing.T) {
	srv := bodiesServer(t)
	u, _ := url.Parse(srv.URL)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	fmt.Fprintf(conn, "POST /signin HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\nloginId=a", u.Host)
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), "64 KiB") || !res.Close {
		t.Errorf("%d close %v %s", res.StatusCode, res.Close, b)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("answered after %v", took)
	}
	if n, err := conn.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("the connection is still open (%d bytes, %v)", n, err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("closed after %v", took)
	}
}

// TestDeclaredTooLargeWhole: a client that sends the whole body it declared
// reads the refusal, not a reset connection.
func TestDeclaredTooLargeWhole(t *testing.T) {
	srv := bodiesServer(t)
	for range 20 {
		res, err := http.Post(srv.URL+"/signin", "application/x-www-form-urlencoded", strings.NewReader("p="+strings.Repeat("x", 100000)))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("%d", res.StatusCode)
		}
	}
	// Under the limit, the handler reads it.
	res, err := http.Post(srv.URL+"/signin", "application/x-www-form-urlencoded", strings.NewReader("p=x"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(b) != "read" {
		t.Errorf("%d %s", res.StatusCode, b)
	}
}
