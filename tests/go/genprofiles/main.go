// Command genprofiles writes real Go runtime/pprof profiles for the
// interoperability test (tests/cli/go_interop.sh): hearth must read, convert
// and tabulate exactly what Go itself writes, not only the stored fixtures.
//
// Usage: go run tests/go/genprofiles/main.go OUTDIR
//
// It writes OUTDIR/{cpu,heap,allocs,goroutine}.pb.gz (debug=0, gzip'd
// profile.proto). The work is split over a few distinct noinline functions
// that call small inlinable helpers, so the profiles hold several stacks and
// inlined frames; some of it runs under pprof labels, so samples carry
// labels too. MemProfileRate is 1, so every allocation is recorded and the
// heap and allocs profiles are never empty; part of what is allocated stays
// reachable (the keep variable) so the in-use values are not zero either.
// The CPU phase runs the workloads in rotation for about one second; the
// whole program takes about 1.5 s and uses only the standard library.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"time"
)

func init() {
	// Set before any work so that every allocation is sampled.
	runtime.MemProfileRate = 1
}

// keep holds allocations live until the heap profile is written.
var keep [][]byte
var keepNodes []*node
var sink uint64

type node struct {
	next  *node
	value uint64
	pad   [6]uint64
}

// mix is a small inlinable hash step; it shows up as an inlined frame.
func mix(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	return x
}

// newNode is inlined into its callers, so allocations in it have an inlined
// frame on top of the noinline caller.
func newNode(v uint64, next *node) *node {
	return &node{next: next, value: v}
}

//go:noinline
func hashLoop(n int) uint64 {
	var h uint64 = 1
	for i := 0; i < n; i++ {
		h = mix(h + uint64(i))
	}
	return h
}

//go:noinline
func buildList(n int) *node {
	var head *node
	for i := 0; i < n; i++ {
		head = newNode(mix(uint64(i)), head)
	}
	return head
}

//go:noinline
func sumList(head *node) uint64 {
	var s uint64
	for p := head; p != nil; p = p.next {
		s += p.value
	}
	return s
}

//go:noinline
func sortWork(n int) uint64 {
	xs := make([]uint64, n)
	for i := range xs {
		xs[i] = mix(uint64(i) * 7919)
	}
	sort.Slice(xs, func(i, j int) bool { return xs[i] < xs[j] })
	return xs[0] + xs[n-1]
}

//go:noinline
func mapWork(n int) uint64 {
	m := make(map[uint64]int)
	for i := 0; i < n; i++ {
		m[mix(uint64(i))%uint64(n/2+1)]++
	}
	return uint64(len(m))
}

//go:noinline
func stringWork(n int) uint64 {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString(fmt.Sprintf("%d:%x;", i, mix(uint64(i))))
	}
	return uint64(len(b.String()))
}

//go:noinline
func retainBuffers(n, size int) {
	for i := 0; i < n; i++ {
		keep = append(keep, make([]byte, size+i%64))
	}
}

// parked is where the extra goroutines of the goroutine profile wait.
//
//go:noinline
func parked(done <-chan struct{}) {
	<-done
}

//go:noinline
func parkedLabelled(done <-chan struct{}) {
	pprof.Do(context.Background(), pprof.Labels("role", "waiter"), func(context.Context) {
		parked(done)
	})
}

// cpuPhase rotates over the workloads until d has passed, some of them
// under labels, and always does at least one round.
//
//go:noinline
func cpuPhase(d time.Duration) {
	ctx := context.Background()
	end := time.Now().Add(d)
	for round := 0; round == 0 || time.Now().Before(end); round++ {
		sink += hashLoop(2000000)
		pprof.Do(ctx, pprof.Labels("work", "sort"), func(context.Context) {
			sink += sortWork(50000)
		})
		pprof.Do(ctx, pprof.Labels("work", "map"), func(context.Context) {
			sink += mapWork(50000)
		})
		sink += sumList(buildList(20000))
	}
}

//go:noinline
func allocPhase() {
	keepNodes = append(keepNodes, buildList(3000))
	retainBuffers(500, 1000)
	sink += stringWork(5000)
	for i := 0; i < 20; i++ {
		sink += sumList(buildList(1000))
	}
}

func write(dir, name string, fn func(f *os.File) error) {
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err == nil {
		err = fn(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "genprofiles: %s: %v\n", path, err)
		os.Exit(1)
	}
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: genprofiles OUTDIR")
		os.Exit(2)
	}
	dir := os.Args[1]
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintf(os.Stderr, "genprofiles: %v\n", err)
		os.Exit(1)
	}

	done := make(chan struct{})
	for i := 0; i < 3; i++ {
		go parked(done)
	}
	go parkedLabelled(done)

	cpu, err := os.Create(filepath.Join(dir, "cpu.pb.gz"))
	if err == nil {
		err = pprof.StartCPUProfile(cpu)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "genprofiles: cpu profile: %v\n", err)
		os.Exit(1)
	}
	cpuPhase(time.Second)
	pprof.StopCPUProfile()
	if err := cpu.Close(); err != nil {
		fmt.Fprintf(os.Stderr, "genprofiles: cpu profile: %v\n", err)
		os.Exit(1)
	}

	allocPhase()
	// The heap profile reports the state as of the last GC.
	runtime.GC()
	write(dir, "heap.pb.gz", func(f *os.File) error { return pprof.Lookup("heap").WriteTo(f, 0) })
	write(dir, "allocs.pb.gz", func(f *os.File) error { return pprof.Lookup("allocs").WriteTo(f, 0) })
	write(dir, "goroutine.pb.gz", func(f *os.File) error { return pprof.Lookup("goroutine").WriteTo(f, 0) })
	close(done)
	runtime.KeepAlive(keep)
	runtime.KeepAlive(keepNodes)
	fmt.Fprintln(os.Stderr, "genprofiles: sink", sink%10)
}
