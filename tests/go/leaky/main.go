// Command leaky writes two heap profiles of one process, before and after a
// leak grows, for the differential flame graph test (tests/cli/flame.sh,
// `hearth flame AFTER --base BEFORE`). Between the two profiles:
//
//   - leakInto adds entries to a map that is never cleared: its in-use
//     space grows (drawn red);
//   - half of what cacheFill allocated is released: its in-use space
//     shrinks but stays above zero, so the frame is still drawn (blue);
//   - what steadyHold allocated stays as it was (grey).
//
// Usage: go run tests/go/leaky/main.go BEFORE.pb.gz AFTER.pb.gz
//
// MemProfileRate is 1, so every allocation is recorded, and each profile is
// written right after a forced GC, which is when the runtime publishes
// in-use figures. Standard library only; it runs in well under a second.
package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
)

func init() {
	runtime.MemProfileRate = 1
}

var (
	leak   = map[int][]byte{}
	cache  [][]byte
	steady [][]byte
)

//go:noinline
func leakInto(from, n int) {
	for i := from; i < from+n; i++ {
		leak[i] = make([]byte, 512)
	}
}

//go:noinline
func cacheFill(n int) {
	for i := 0; i < n; i++ {
		cache = append(cache, make([]byte, 4096))
	}
}

//go:noinline
func cacheRelease(keep int) {
	kept := make([][]byte, keep)
	copy(kept, cache)
	for i := range cache {
		cache[i] = nil
	}
	cache = kept
}

//go:noinline
func steadyHold(n int) {
	for i := 0; i < n; i++ {
		steady = append(steady, make([]byte, 1024))
	}
}

func writeHeap(path string) {
	runtime.GC()
	f, err := os.Create(path)
	if err == nil {
		err = pprof.Lookup("heap").WriteTo(f, 0)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "leaky: %s: %v\n", path, err)
		os.Exit(1)
	}
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: leaky BEFORE.pb.gz AFTER.pb.gz")
		os.Exit(2)
	}
	steadyHold(100)
	cacheFill(200)
	leakInto(0, 100)
	writeHeap(os.Args[1])

	leakInto(100, 2000)
	cacheRelease(100)
	writeHeap(os.Args[2])
	runtime.KeepAlive(steady)
	runtime.KeepAlive(cache)
}
