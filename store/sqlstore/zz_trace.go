package sqlstore

import (
	"fmt"
	"os"
	"time"
)

var traceOn = os.Getenv("MEIBO_TRACE") != ""
var traceStart time.Time

func trace(format string, args ...any) {
	if traceOn {
		fmt.Fprintf(os.Stderr, "%8.3fms "+format+"\n", append([]any{float64(time.Since(traceStart).Microseconds()) / 1000}, args...)...)
	}
}
