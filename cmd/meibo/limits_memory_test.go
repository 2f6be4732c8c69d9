package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestWideHeaderMemory uploads the file of the attack — a header of a
// million columns, about 7.9 MB — to a real `meibo serve` process over the
// API, and reads the peak of that process's resident memory (VmHWM) from
// /proc once the job has ended: it must stay under 256 MiB, and the job
// must have failed with the one message naming the column limit.
func TestWideHeaderMemory(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc to read the peak memory of a process from")
	}
	bin := e2eBuild(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "meibo.db")
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MEIBO_") {
			env = append(env, kv)
		}
	}
	env = append(env, "MEIBO_DB="+db, "MEIBO_ARGON2_MEMORY=7168", "MEIBO_ARGON2_TIME=5")

	// The group to import into, made by the command line before the server
	// starts.
	mk := exec.Command(bin, "group", "create", "G1")
	mk.Env = env
	if out, err := mk.CombinedOutput(); err != nil {
		t.Fatalf("group create: %v\n%s", err, out)
	}

	const password = "A-chosen-pass-phrase-9"
	srv := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--admin-password", password, "--log-format", "text")
	srv.Env = env
	stderr, err := srv.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	srv.Stdout = io.Discard
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	t.Cleanup(func() {
		srv.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			srv.Process.Kill()
			<-exited
		}
	})
	ready := make(chan string, 1)
	var logs syncBuffer
	go func() {
		defer close(exited)
		addr := regexp.MustCompile(`msg="meibo is ready" addr=(\S+)`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logs.Write(append(sc.Bytes(), '\n'))
			if m := addr.FindStringSubmatch(sc.Text()); m != nil {
				ready <- m[1]
			}
		}
		srv.Wait()
	}()
	var base string
	select {
	case addr := <-ready:
		base = "http://" + addr
	case <-exited:
		t.Fatalf("meibo serve ended:\n%s", logs.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("meibo serve did not get ready:\n%s", logs.String())
	}

	// Sign in to the API.
	login, _ := json.Marshal(map[string]string{"loginId": "admin", "password": password})
	res, err := http.Post(base+"/api/v1/login", "application/json", bytes.NewReader(login))
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		Token string `json:"token"`
	}
	json.NewDecoder(res.Body).Decode(&tok)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || tok.Token == "" {
		t.Fatalf("login: %d", res.StatusCode)
	}
	call := func(method, path, contentType string, body io.Reader) (int, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, base+path, body)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+tok.Token)
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, b
	}

	// Upload the file, written on the fly into the request.
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	size := 0
	go func() {
		mw.WriteField("format", "users")
		mw.WriteField("group", "G1")
		f, err := mw.CreateFormFile("file", "wide.csv")
		if err != nil {
			pw.CloseWithError(err)
			return
		}
		w := bufio.NewWriterSize(f, 64<<10)
		n, _ := w.WriteString("name,password,email")
		size += n
		for i := range 1_000_000 {
			n, _ := fmt.Fprintf(w, ",c%d", i)
			size += n
		}
		n, _ = w.WriteString("\r\ncarol,,carol@example.org\r\n")
		size += n
		if err := w.Flush(); err != nil {
			pw.CloseWithError(err)
			return
		}
		pw.CloseWithError(mw.Close())
	}()
	status, body := call("POST", "/api/v1/imports", mw.FormDataContentType(), pr)
	if status != http.StatusAccepted {
		t.Fatalf("upload: %d %s", status, body)
	}
	var job struct {
		ID         int64  `json:"id"`
		Status     string `json:"status"`
		ErrorCount int    `json:"errorCount"`
	}
	if err := json.Unmarshal(body, &job); err != nil {
		t.Fatal(err)
	}
	t.Logf("uploaded a %.1f MB file with a header of 1,000,002 columns", float64(size)/1e6)

	deadline := time.Now().Add(2 * time.Minute)
	for job.Status == "QUEUED" || job.Status == "RUNNING" {
		if time.Now().After(deadline) {
			t.Fatalf("job %d still %s", job.ID, job.Status)
		}
		time.Sleep(100 * time.Millisecond)
		status, body = call("GET", "/api/v1/imports/"+strconv.FormatInt(job.ID, 10), "", nil)
		if status != http.StatusOK {
			t.Fatalf("job: %d %s", status, body)
		}
		if err := json.Unmarshal(body, &job); err != nil {
			t.Fatal(err)
		}
	}
	peak := vmHWM(t, srv.Process.Pid)
	t.Logf("peak resident memory of meibo serve: %.1f MiB", float64(peak)/(1<<20))
	if peak >= 256<<20 {
		t.Errorf("meibo serve peaked at %d MiB, over 256 MiB", peak>>20)
	}

	if job.Status != "FAILED" || job.ErrorCount != 1 {
		t.Errorf("job %s with %d errors, want FAILED with 1", job.Status, job.ErrorCount)
	}
	status, body = call("GET", "/api/v1/imports/"+strconv.FormatInt(job.ID, 10)+"/errors.csv", "", nil)
	want := "The header (row 1) is over the limit of 16 columns or 16 KiB: a users file has 8 columns."
	if status != http.StatusOK || !strings.Contains(string(body), want) {
		t.Errorf("errors.csv: %d %s\nwant %q", status, body, want)
	}
	if lines := strings.Count(strings.TrimSpace(string(body)), "\n"); lines > 2 {
		t.Errorf("errors.csv has %d messages, want the one error (and the note that the file was not kept):\n%s", lines, body)
	}
}

// vmHWM reads the peak resident memory of process pid, in bytes.
func vmHWM(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^VmHWM:\s+(\d+) kB$`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("no VmHWM in /proc/%d/status", pid)
	}
	kb, _ := strconv.ParseInt(string(m[1]), 10, 64)
	return kb << 10
}
