package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// peakMemory is the process's peak resident memory in bytes (Linux: VmHWM),
// or 0 where the system does not tell.
func peakMemory() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}

// printStats writes the figures of a bulk command for benchmarks.
func printStats(w io.Writer, rows int, d time.Duration) {
	fmt.Fprintf(w, "stats: %d rows in %.2fs, %.0f rows/s, peak memory %d MiB\n", rows, d.Seconds(), float64(rows)/d.Seconds(), peakMemory()>>20)
}
