// gcchurn makes GC traffic for the timeline tests: run it with
// GODEBUG=gctrace=1. It allocates short-lived garbage and keeps a slowly
// growing live set for the given seconds, writes lines of its own to
// stderr (so gctrace lines are interleaved with other output, one of them
// after a partial line), and forces one collection. Its own lines are
// written only when no collection is running or printing (before the
// first allocation, and 100 ms after a forced collection with nothing
// allocating since: runtime.GC can return while its trace line is still
// being printed): the runtime writes a trace line in several pieces, and a
// line of ours landing between them would corrupt the very log under test.
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
	fmt.Fprintf(os.Stderr, "gcchurn: churning for %g s\n", seconds)
	end := time.Now().Add(time.Duration(seconds * float64(time.Second)))
	i := 0
	var rounds []string
	for time.Now().Before(end) {
		for k := 0; k < 2000; k++ {
			sink = make([]byte, 1024+k%4096)
		}
		if i%10 == 0 {
			keep = append(keep, make([]byte, 64<<10))
		}
		if i%50 == 0 {
			rounds = append(rounds, fmt.Sprintf("gcchurn: round %d, %d blocks kept", i, len(keep)))
		}
		if i == 100 {
			// A partial line: the trace line of the collection forced
			// next follows it. The first GC finishes any cycle running.
			runtime.GC()
			time.Sleep(100 * time.Millisecond)
			fmt.Fprint(os.Stderr, "gcchurn: forcing a collection... ")
			runtime.GC()
			time.Sleep(100 * time.Millisecond)
			fmt.Fprintln(os.Stderr)
		}
		i++
		time.Sleep(time.Millisecond)
	}
	runtime.GC()
	time.Sleep(100 * time.Millisecond)
	for _, r := range rounds {
		fmt.Fprintln(os.Stderr, r)
	}
	fmt.Println("gcchurn: done", len(keep), len(sink))
}
