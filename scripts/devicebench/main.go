// Command devicebench measures how fast commands reach long-polling devices
// and what the server's memory costs for them, with the real programs: it
// starts `meibo serve` on a new SQLite database as a process of its own (so
// that its memory is its own), `meibo agent --count N` as another, waits
// until every device long-polls, then queues commands to random devices at
// a steady rate through the administrators' API. It prints the delivery
// latency as the server recorded it (delivered − queued) and the time to
// the device's result (done − queued), percentiles over every command, the
// server's peak memory (VmHWM) and the number of long polls waiting.
//
//	go run ./scripts/devicebench [-devices 1000] [-rate 20] [-duration 60s]
//
// Run it from the repository's root; it builds ./cmd/meibo unless -bin
// names a binary.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

const (
	adminPassword = "Bench-serve-pass-9"
	group         = "G1"
)

func main() {
	devices := flag.Int("devices", 1000, "simulated devices, all long-polling")
	rate := flag.Float64("rate", 20, "commands queued per second")
	duration := flag.Duration("duration", 60*time.Second, "how long commands are queued")
	wait := flag.Int("wait", 25, "seconds each long poll waits (the agent's --wait)")
	bin := flag.String("bin", "", "a meibo binary (default: build ./cmd/meibo)")
	keep := flag.Bool("keep", false, "keep the temporary folder (database, logs)")
	flag.Parse()
	if err := run(*devices, *rate, *duration, *wait, *bin, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "devicebench:", err)
		os.Exit(1)
	}
}

func run(devices int, rate float64, duration time.Duration, wait int, bin string, keep bool) error {
	dir, err := os.MkdirTemp("", "meibo-devicebench-")
	if err != nil {
		return err
	}
	if keep {
		fmt.Println("folder:", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	if bin == "" {
		bin = filepath.Join(dir, "meibo")
		fmt.Println("== build ./cmd/meibo")
		if out, err := exec.Command("go", "build", "-o", bin, "./cmd/meibo").CombinedOutput(); err != nil {
			return fmt.Errorf("go build: %v\n%s", err, out)
		}
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	base := "http://127.0.0.1:" + strconv.Itoa(port)

	// The server, a process of its own.
	serverLog, err := os.Create(filepath.Join(dir, "serve.log"))
	if err != nil {
		return err
	}
	defer serverLog.Close()
	server := command(bin, "serve", "--addr", "127.0.0.1:"+strconv.Itoa(port), "--db", filepath.Join(dir, "bench.db"),
		"--admin-password", adminPassword, "--log-level", "warn", "--time-zone", "UTC")
	server.Stdout, server.Stderr = serverLog, serverLog
	if err := server.Start(); err != nil {
		return err
	}
	serverDone := make(chan error, 1)
	go func() { serverDone <- server.Wait() }()
	defer func() {
		server.Process.Signal(syscall.SIGTERM)
		select {
		case <-serverDone:
		case <-time.After(40 * time.Second):
			server.Process.Kill()
		}
	}()
	fmt.Printf("== meibo serve: pid %d, %s, SQLite\n", server.Process.Pid, base)
	c := &client{base: base, http: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
	if err := c.waitHealthy(30*time.Second, serverDone); err != nil {
		return fmt.Errorf("%w (see %s)", err, serverLog.Name())
	}
	var login struct{ Token string }
	if err := c.do("POST", "/api/v1/login", map[string]string{"loginId": "admin", "password": adminPassword}, &login); err != nil {
		return fmt.Errorf("sign in: %w", err)
	}
	c.token = login.Token
	if err := c.do("POST", "/api/v1/groups", map[string]string{"id": group, "name": "Bench"}, nil); err != nil {
		return fmt.Errorf("create the group: %w", err)
	}
	rssStart, _ := memory(server.Process.Pid)

	// The devices: one `meibo agent --count N` process.
	agentLog, err := os.Create(filepath.Join(dir, "agent.log"))
	if err != nil {
		return err
	}
	defer agentLog.Close()
	agent := command(bin, "agent", "--server", base, "--group", group, "--count", strconv.Itoa(devices),
		"--name", "bench", "--wait", strconv.Itoa(wait), "--quiet")
	agent.Env = append(agent.Env, "MEIBO_ADMIN_TOKEN="+c.token)
	agent.Stdout, agent.Stderr = agentLog, agentLog
	start := time.Now()
	if err := agent.Start(); err != nil {
		return err
	}
	agentDone := make(chan error, 1)
	go func() { agentDone <- agent.Wait() }()
	defer func() {
		agent.Process.Signal(syscall.SIGTERM)
		select {
		case <-agentDone:
		case <-time.After(20 * time.Second):
			agent.Process.Kill()
		}
	}()
	fmt.Printf("== meibo agent --count %d: pid %d\n", devices, agent.Process.Pid)
	for {
		n, err := c.waiting()
		if err != nil {
			return err
		}
		if n >= devices {
			break
		}
		select {
		case err := <-agentDone:
			return fmt.Errorf("the agent stopped: %v (see %s)", err, agentLog.Name())
		case <-time.After(200 * time.Millisecond):
		}
		if time.Since(start) > 5*time.Minute {
			return fmt.Errorf("only %d of %d devices long-poll after 5 minutes", n, devices)
		}
	}
	fmt.Printf("   %d devices enrolled and long-polling after %v\n", devices, time.Since(start).Round(time.Millisecond))
	ids, err := c.deviceIDs()
	if err != nil {
		return err
	}
	if len(ids) != devices {
		return fmt.Errorf("%d devices listed, want %d", len(ids), devices)
	}

	// Memory and waiting polls, sampled while commands run.
	var peakRSS, minWaiting, maxWaiting atomic.Int64
	minWaiting.Store(int64(devices))
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			if m, err := memory(server.Process.Pid); err == nil && int64(m.rss) > peakRSS.Load() {
				peakRSS.Store(int64(m.rss))
			}
			if n, err := c.waiting(); err == nil {
				if int64(n) < minWaiting.Load() {
					minWaiting.Store(int64(n))
				}
				if int64(n) > maxWaiting.Load() {
					maxWaiting.Store(int64(n))
				}
			}
			select {
			case <-stopSampling:
				return
			case <-tick.C:
			}
		}
	}()

	// Commands at a steady rate, each to a random device.
	total := int(rate * duration.Seconds())
	fmt.Printf("== %d commands (ring) at %.0f/s for %v to random devices\n", total, rate, duration)
	interval := time.Duration(float64(time.Second) / rate)
	var wg sync.WaitGroup
	var mu sync.Mutex
	queued := map[int64][]int64{} // device → commands
	var failures atomic.Int64
	next := time.Now()
	for i := range total {
		time.Sleep(time.Until(next))
		next = next.Add(interval)
		dev := ids[rand.IntN(len(ids))]
		wg.Add(1)
		go func() {
			defer wg.Done()
			var cmd struct{ ID int64 }
			if err := c.do("POST", fmt.Sprintf("/api/v1/devices/%d/commands", dev), map[string]string{"action": "ring"}, &cmd); err != nil {
				failures.Add(1)
				fmt.Fprintf(os.Stderr, "command %d: %v\n", i, err)
				return
			}
			mu.Lock()
			queued[dev] = append(queued[dev], cmd.ID)
			mu.Unlock()
		}()
	}
	wg.Wait()
	// Let the last ones finish, then read every command as recorded.
	deadline := time.Now().Add(30 * time.Second)
	var delivered, finished []time.Duration
	var pending int
	for {
		delivered, finished, pending = nil, nil, 0
		for dev, want := range queued {
			cmds, err := c.commands(dev)
			if err != nil {
				return err
			}
			for _, cmd := range cmds {
				if !slices.Contains(want, cmd.ID) {
					continue
				}
				if cmd.Status != "done" || cmd.DeliveredAt == nil || cmd.FinishedAt == nil {
					pending++
					continue
				}
				delivered = append(delivered, cmd.DeliveredAt.Sub(cmd.CreatedAt))
				finished = append(finished, cmd.FinishedAt.Sub(cmd.CreatedAt))
			}
		}
		if pending == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	close(stopSampling)
	<-sampled
	mem, err := memory(server.Process.Pid)
	if err != nil {
		return err
	}
	waitingNow, _ := c.waiting()

	// Stop the server with every device waiting: its shutdown time.
	stopAt := time.Now()
	server.Process.Signal(syscall.SIGTERM)
	var stopped time.Duration
	select {
	case <-serverDone:
		stopped = time.Since(stopAt)
	case <-time.After(40 * time.Second):
		stopped = -1
	}
	serverDone <- nil // for the deferred stop

	slices.Sort(delivered)
	slices.Sort(finished)
	fmt.Println()
	fmt.Printf("devices long-polling:   %d (waiting on the server during the run: min %d, max %d; at the end %d)\n",
		devices, minWaiting.Load(), maxWaiting.Load(), waitingNow)
	fmt.Printf("commands:               %d queued, %d done, %d not done, %d refused\n", total, len(delivered), pending, failures.Load())
	fmt.Printf("delivery (server):      p50 %v  p90 %v  p99 %v  max %v\n", pct(delivered, 50), pct(delivered, 90), pct(delivered, 99), pct(delivered, 100))
	fmt.Printf("queued → done:          p50 %v  p90 %v  p99 %v  max %v\n", pct(finished, 50), pct(finished, 90), pct(finished, 99), pct(finished, 100))
	fmt.Printf("server memory:          peak %.1f MiB (VmHWM), now %.1f MiB (VmRSS), %.1f MiB before the devices\n",
		mib(mem.hwm), mib(mem.rss), mib(rssStart.rss))
	if stopped >= 0 {
		fmt.Printf("server shutdown:        %v with %d long polls waiting\n", stopped.Round(time.Millisecond), waitingNow)
	} else {
		fmt.Printf("server shutdown:        did not stop within 40 s\n")
	}
	fmt.Println()
	fmt.Printf("| %s long-polling devices, commands at %.0f/s: delivery p99 < 1 s, server memory < 200 MiB | delivery p50 %v, p99 %v (queued → done p99 %v); peak RSS %.0f MiB; %d polls waiting | `go run ./scripts/devicebench` |\n",
		thousands(devices), rate, pct(delivered, 50), pct(delivered, 99), pct(finished, 99), mib(mem.hwm), waitingNow)
	var errs []error
	if pending > 0 || failures.Load() > 0 || len(delivered) != total {
		errs = append(errs, fmt.Errorf("%d commands were not done, %d refused", total-len(delivered), failures.Load()))
	}
	if len(delivered) > 0 && pct(delivered, 99) >= time.Second {
		errs = append(errs, fmt.Errorf("delivery p99 %v is over the target of 1 s", pct(delivered, 99)))
	}
	if mib(mem.hwm) >= 200 {
		errs = append(errs, fmt.Errorf("peak memory %.0f MiB is over the target of 200 MiB", mib(mem.hwm)))
	}
	return errors.Join(errs...)
}

// command is a meibo command line with an environment free of MEIBO_*
// settings.
func command(bin string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MEIBO_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	return cmd
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

type mem struct{ rss, hwm uint64 } // bytes

// memory reads a process's resident and peak resident memory.
func memory(pid int) (mem, error) {
	var m mem
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return m, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			m.rss = kb << 10
		case "VmHWM":
			m.hwm = kb << 10
		}
	}
	return m, sc.Err()
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	i := (len(d)*p + 99) / 100
	i = min(max(i-1, 0), len(d)-1)
	return d[i].Round(10 * time.Microsecond)
}

func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// client calls meibo's API as the built-in administrator.
type client struct {
	base  string
	token string
	http  *http.Client
}

func (c *client) waitHealthy(d time.Duration, exited <-chan error) error {
	deadline := time.Now().Add(d)
	for {
		select {
		case err := <-exited:
			return fmt.Errorf("the server stopped: %v", err)
		default:
		}
		res, err := c.http.Get(c.base + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the server did not start within %v: %v", d, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (c *client) do(method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, bytes.TrimSpace(data))
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

func (c *client) waiting() (int, error) {
	var out struct{ Waiting int }
	err := c.do("GET", "/api/v1/device-polls", nil, &out)
	return out.Waiting, err
}

// deviceIDs lists the IDs of the group's devices, page by page.
func (c *client) deviceIDs() ([]int64, error) {
	var ids []int64
	after, afterID := "", int64(0)
	for {
		var page struct {
			Devices []struct {
				ID   int64
				Name string
			}
		}
		q := url.Values{"limit": {"1000"}, "afterName": {after}, "afterId": {strconv.FormatInt(afterID, 10)}}
		if err := c.do("GET", "/api/v1/groups/"+group+"/devices?"+q.Encode(), nil, &page); err != nil {
			return nil, err
		}
		for _, d := range page.Devices {
			ids = append(ids, d.ID)
			after, afterID = d.Name, d.ID
		}
		if len(page.Devices) < 1000 {
			return ids, nil
		}
	}
}

type recorded struct {
	ID          int64
	Status      string
	CreatedAt   time.Time
	DeliveredAt *time.Time
	FinishedAt  *time.Time
}

func (c *client) commands(device int64) ([]recorded, error) {
	var out struct{ Commands []recorded }
	err := c.do("GET", fmt.Sprintf("/api/v1/devices/%d/commands", device), nil, &out)
	return out.Commands, err
}
