// gcchurn makes GC traffic for the timeline tests: run it with
// GODEBUG=gctrace=1. It allocates short-lived garbage and keeps a slowly
// growing live set for the given seconds, writes lines of its own to
// stderr (so gctrace lines are interleaved with other output, sometimes
// after a partial line), and forces one collection.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"
)

var keep [][]byte
var sink []byte

func main() {
	seconds := 2.0
	if len(os.Args) > 1 {
		if v, err := strconv.ParseFloat(os.Args[1], 64); err == nil {
			seconds = v
		}
	}
	end := time.Now().Add(time.Duration(seconds * float64(time.Second)))
	i := 0
	for time.Now().Before(end) {
		for k := 0; k < 2000; k++ {
			sink = make([]byte, 1024+k%4096)
		}
		if i%10 == 0 {
			keep = append(keep, make([]byte, 64<<10))
		}
		if i%50 == 0 {
			fmt.Fprintf(os.Stderr, "gcchurn: round %d, %d blocks kept\n", i, len(keep))
		}
		if i == 100 {
			// A partial line: the runtime's next trace line follows it.
			fmt.Fprint(os.Stderr, "gcchurn: forcing a collection... ")
			runtime.GC()
			fmt.Fprintln(os.Stderr)
		}
		i++
		time.Sleep(time.Millisecond)
	}
	fmt.Println("gcchurn: done", len(keep), len(sink))
}
