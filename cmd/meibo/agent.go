package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/meibo/meibo"
)

// meibo agent simulates devices for demos, tests and load tests: each agent
// enrols with a token (or resumes from its state file), then long-polls the
// server for commands and carries them out: lock and ring change nothing but
// its state, locate reports a position, message shows the text in the log,
// wipe reports done and un-enrols it (its state is removed and it stops).

func runAgent(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "agent", "agent --server URL (--token T | --tokens FILE | --admin-token-file FILE --group G) [--count N] [--state DIR] [flags]")
	if err := refuseAdminTokenFlag(args); err != nil {
		return err
	}
	server := fs.String("server", "http://localhost:8080", "meibo's address")
	token := fs.String("token", "", "an enrolment token (one device)")
	tokens := fs.String("tokens", "", "a file of enrolment tokens, one per line (one device each)")
	adminTokenFile := fs.String("admin-token-file", "", "a file holding an administrator's API token to make the enrolment tokens (with --group); or set MEIBO_ADMIN_TOKEN")
	group := fs.String("group", "", "the group to enrol into with the administrator's token")
	user := fs.String("user", "", "with the administrator's token: assign the devices to this user")
	count := fs.Int("count", 1, "how many devices to simulate")
	name := fs.String("name", "", "device name (default agent-HOST); several devices get -1, -2…")
	state := fs.String("state", "", "a folder that keeps each device's enrolment, so that a restart resumes it")
	wait := fs.Int("wait", 25, "seconds a check-in waits for a command (long poll)")
	lat := fs.Float64("lat", 35.681236, "latitude reported by locate")
	lon := fs.Float64("lon", 139.767125, "longitude reported by locate")
	platform := fs.String("platform", "simulator", "platform reported")
	quiet := fs.Bool("quiet", false, "log only errors")
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	if *count < 1 {
		return usagef("--count must be at least 1")
	}
	adminToken, err := agentAdminToken(env, *adminTokenFile)
	if err != nil {
		return err
	}
	if *name == "" {
		host, _ := os.Hostname()
		*name = "agent-" + host
	}
	level := slog.LevelInfo
	if *quiet {
		level = slog.LevelError
	}
	log := slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: level}))
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: *count + 10, MaxIdleConnsPerHost: *count + 10, IdleConnTimeout: 90 * time.Second}}
	base := strings.TrimRight(*server, "/")

	var toks []string
	switch {
	case *token != "":
		toks = []string{*token}
	case *tokens != "":
		b, err := os.ReadFile(*tokens)
		if err != nil {
			return err
		}
		for _, l := range strings.Split(string(b), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				toks = append(toks, l)
			}
		}
	case adminToken != "":
		if *group == "" {
			return usagef("the administrator's token (--admin-token-file or MEIBO_ADMIN_TOKEN) needs --group")
		}
	}
	agents := make([]*agent, *count)
	for i := range agents {
		n := *name
		if *count > 1 {
			n = fmt.Sprintf("%s-%d", *name, i+1)
		}
		a := &agent{base: base, client: client, log: log.With("device", n), name: n, platform: *platform, lat: *lat, lon: *lon, wait: *wait}
		if *state != "" {
			a.stateFile = filepath.Join(*state, safeFile(n)+".json")
		}
		agents[i] = a
	}
	// Enrol, or resume.
	next := 0
	for _, a := range agents {
		if a.load() {
			continue
		}
		tok := ""
		switch {
		case next < len(toks):
			tok = toks[next]
			next++
		case adminToken != "":
			t, err := makeEnrolmentToken(ctx, client, base, adminToken, *group, *user)
			if err != nil {
				return err
			}
			tok = t
		default:
			return usagef("%s has no enrolment: give --token, --tokens, or --admin-token-file (or MEIBO_ADMIN_TOKEN) with --group", a.name)
		}
		if err := a.enrol(ctx, tok); err != nil {
			return fmt.Errorf("%s: %w", a.name, err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(agents))
	for _, a := range agents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := a.run(ctx); err != nil {
				errs <- fmt.Errorf("%s: %w", a.name, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		return err
	}
	return nil
}

func safeFile(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == ':' || r < ' ' {
			return '_'
		}
		return r
	}, s)
}

// agent is one simulated device.
type agent struct {
	base      string
	client    *http.Client
	log       *slog.Logger
	name      string
	platform  string
	lat, lon  float64
	wait      int
	stateFile string

	st agentState
}

type agentState struct {
	DeviceID int64  `json:"deviceId"`
	Secret   string `json:"secret"`
	Name     string `json:"name"`
	Locked   bool   `json:"locked"`
}

func (a *agent) load() bool {
	if a.stateFile == "" {
		return false
	}
	b, err := os.ReadFile(a.stateFile)
	if err != nil {
		return false
	}
	return json.Unmarshal(b, &a.st) == nil && a.st.Secret != ""
}

func (a *agent) save() error {
	if a.stateFile == "" {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(a.stateFile), 0o700); err != nil {
		return err
	}
	b, _ := json.Marshal(a.st)
	return os.WriteFile(a.stateFile, b, 0o600)
}

// call sends a JSON request and decodes a JSON answer; an error answer
// becomes an error with the server's message.
func (a *agent) call(ctx context.Context, method, path, secret string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		var e struct {
			Error struct{ Code, Message string }
		}
		json.NewDecoder(resp.Body).Decode(&e)
		return &agentError{status: resp.StatusCode, msg: e.Error.Message}
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

type agentError struct {
	status int
	msg    string
}

func (e *agentError) Error() string { return fmt.Sprintf("%d %s", e.status, e.msg) }

// refuseAdminTokenFlag refuses an administrator's token on the command
// line, where every user of the machine can read it (ps, /proc).
func refuseAdminTokenFlag(args []string) error {
	for _, a := range args {
		if a == "--" {
			break
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && name == "admin-token" {
			return usagef("--admin-token is not taken: a token on the command line is visible to every user of the machine (ps). " +
				"Put it in a file and give --admin-token-file FILE, or set MEIBO_ADMIN_TOKEN")
		}
	}
	return nil
}

// agentAdminToken reads the administrator's token from the file, else from
// MEIBO_ADMIN_TOKEN ("" when neither is given).
func agentAdminToken(env *cliEnv, file string) (string, error) {
	if file != "" {
		t, err := secret("", file)
		if err != nil {
			return "", err
		}
		if t = strings.TrimSpace(t); t == "" {
			return "", usagef("--admin-token-file %s is empty", file)
		}
		return t, nil
	}
	t, _ := env.getenv("MEIBO_ADMIN_TOKEN")
	return strings.TrimSpace(t), nil
}

func makeEnrolmentToken(ctx context.Context, c *http.Client, base, adminToken, group, user string) (string, error) {
	a := &agent{base: base, client: c}
	var out struct{ Token string }
	err := a.call(ctx, "POST", "/api/v1/groups/"+group+"/enrolment-tokens", adminToken, map[string]string{"user": user}, &out)
	return out.Token, err
}

func (a *agent) enrol(ctx context.Context, token string) error {
	var out struct {
		DeviceID int64  `json:"deviceId"`
		Secret   string `json:"secret"`
	}
	serial := fmt.Sprintf("SIM-%08X", rand.Uint32())
	if err := a.call(ctx, "POST", "/device/v1/enrol", "", map[string]string{"token": token, "name": a.name, "platform": a.platform,
		"model": "meibo agent", "osVersion": version, "serial": serial}, &out); err != nil {
		return fmt.Errorf("enrol: %w", err)
	}
	a.st = agentState{DeviceID: out.DeviceID, Secret: out.Secret, Name: a.name}
	a.log.Info("enrolled", "id", out.DeviceID)
	return a.save()
}

// run long-polls for commands until ctx ends or the device is wiped.
func (a *agent) run(ctx context.Context) error {
	backoff := time.Second
	battery := 60 + rand.IntN(40)
	for ctx.Err() == nil {
		var out struct {
			Commands []struct {
				ID      int64        `json:"id"`
				Action  meibo.Action `json:"action"`
				Message string       `json:"message"`
			} `json:"commands"`
		}
		locked := a.st.Locked
		err := a.call(ctx, "POST", fmt.Sprintf("/device/v1/checkin?wait=%d", a.wait), a.st.Secret,
			meibo.DeviceStatus{Platform: a.platform, Model: "meibo agent", OSVersion: version, Battery: &battery, Locked: &locked}, &out)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ae *agentError
			if errors.As(err, &ae) && ae.status == http.StatusUnauthorized {
				return fmt.Errorf("the server no longer knows this device (revoked?): %w", err)
			}
			a.log.Warn("check-in failed; retrying", "err", err, "in", backoff)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 30*time.Second)
			continue
		}
		backoff = time.Second
		for _, c := range out.Commands {
			wiped, err := a.carryOut(ctx, c.ID, c.Action, c.Message)
			if err != nil {
				a.log.Warn("report a result", "command", c.ID, "err", err)
			}
			if wiped {
				return nil
			}
		}
	}
	return nil
}

// carryOut acts on one command and reports the result.
func (a *agent) carryOut(ctx context.Context, id int64, action meibo.Action, message string) (wiped bool, err error) {
	res := map[string]any{"status": "done"}
	switch action {
	case meibo.ActionLock:
		a.st.Locked = true
		res["locked"], res["result"] = true, "locked"
	case meibo.ActionRing:
		res["result"] = "rang"
	case meibo.ActionLocate:
		res["location"] = meibo.Location{Latitude: a.lat, Longitude: a.lon, Accuracy: 15, At: time.Now().UTC()}
		res["result"] = fmt.Sprintf("%.6f,%.6f", a.lat, a.lon)
	case meibo.ActionMessage:
		res["result"] = "shown"
		a.log.Info("message", "text", message)
	case meibo.ActionWipe:
		res["result"] = "wiped"
		wiped = true
	default:
		res["status"], res["result"] = "failed", "unknown action "+string(action)
	}
	a.log.Info("command", "id", id, "action", action)
	if err := a.call(ctx, "POST", fmt.Sprintf("/device/v1/commands/%d/result", id), a.st.Secret, res, nil); err != nil {
		return false, err
	}
	if wiped {
		a.log.Info("wiped: un-enrolled")
		if a.stateFile != "" {
			os.Remove(a.stateFile)
		}
		return true, nil
	}
	return false, a.save()
}
