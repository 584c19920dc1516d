// Command go_service is the Go example service: requests at a fixed pace,
// each making short-lived garbage (so the collector runs and
// GODEBUG=gctrace=1 prints a line per cycle) and putting a response into a
// cache. By default the cache never forgets (leakyCacheInsert): the heap
// grows by -leak-rate bytes a second. With -steady it evicts its oldest
// entries beyond -cache-max (boundedCacheInsert), the control.
// net/http/pprof serves /debug/pprof/ on -addr (port 0 picks a free port;
// the address is printed). Standard library only, so it builds offline.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

const name = "go_service"

// byteSize is a flag value in bytes with an optional K, M or G suffix.
type byteSize uint64

func (b *byteSize) String() string { return strconv.FormatUint(uint64(*b), 10) }

func (b *byteSize) Set(s string) error {
	shift := 0
	if n := len(s); n > 0 {
		switch s[n-1] {
		case 'k', 'K':
			shift = 10
		case 'm', 'M':
			shift = 20
		case 'g', 'G':
			shift = 30
		}
		if shift > 0 {
			s = s[:n-1]
		}
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil || v > (1<<40)>>shift {
		return errors.New("not a size in bytes")
	}
	*b = byteSize(v << shift)
	return nil
}

type settings struct {
	addr       string
	duration   float64
	rps        float64
	workers    int
	leakRate   byteSize
	churnBytes byteSize
	steady     bool
	cacheMax   byteSize
}

// parseFlags returns the settings, or exits: 0 after -help, 2 with one
// line on a bad flag.
func parseFlags(args []string) settings {
	s := settings{rps: 100, workers: 2, leakRate: 1 << 20, churnBytes: 64 << 10, cacheMax: 1 << 20}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&s.addr, "addr", "127.0.0.1:6060", "`HOST:PORT` of net/http/pprof (port 0: any free port; empty: off)")
	fs.Float64Var(&s.duration, "duration", 0, "run this many `SECONDS`, then exit 0 (0: until SIGTERM/SIGINT)")
	fs.Float64Var(&s.rps, "rps", 100, "requests per second")
	fs.IntVar(&s.workers, "workers", 2, "goroutines handling requests")
	fs.Var(&s.leakRate, "leak-rate", "`BYTES` per second put into the cache (K/M/G suffixes; default 1M)")
	fs.Var(&s.churnBytes, "churn-bytes", "short-lived `BYTES` allocated per request (default 64K)")
	fs.BoolVar(&s.steady, "steady", false, "bound the cache at -cache-max (the control); default: it leaks")
	fs.Var(&s.cacheMax, "cache-max", "`BYTES` the steady cache keeps (default 1M)")
	err := fs.Parse(args)
	if err == flag.ErrHelp {
		fs.SetOutput(os.Stdout)
		fmt.Printf("usage: %s [FLAGS]\n", name)
		fs.PrintDefaults()
		os.Exit(0)
	}
	switch {
	case err != nil:
	case fs.NArg() > 0:
		err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case s.duration < 0 || math.IsNaN(s.duration) || math.IsInf(s.duration, 0):
		err = errors.New("-duration: must be 0 or more seconds")
	case !(s.rps > 0 && s.rps <= 100000):
		err = errors.New("-rps: must be more than 0 and at most 100000")
	case s.workers < 1 || s.workers > 256:
		err = errors.New("-workers: must be 1 to 256")
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %s (see -help)\n", name, strings.ReplaceAll(err.Error(), "\n", " "))
		os.Exit(2)
	}
	return s
}

// The cache. Under cacheMu.
var (
	cacheMu    sync.Mutex
	cache      = map[uint64][]byte{}
	cacheOrder []uint64 // insertion order, steady mode only
	cacheTotal uint64
)

// response makes a cached response of n bytes, every page written, as a
// real one would be (fresh memory from the OS is otherwise never touched).
func response(key uint64, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(key)
	}
	return b
}

// leakyCacheInsert is the mistake: nothing is ever removed.
//
//go:noinline
func leakyCacheInsert(key uint64, n int) {
	b := response(key, n)
	cacheMu.Lock()
	cache[key] = b
	cacheTotal += uint64(n)
	cacheMu.Unlock()
}

// boundedCacheInsert evicts the oldest entries beyond max bytes.
//
//go:noinline
func boundedCacheInsert(key uint64, n int, max uint64) {
	if uint64(n) > max {
		return
	}
	b := response(key, n)
	cacheMu.Lock()
	for cacheTotal+uint64(n) > max && len(cacheOrder) > 0 {
		old := cacheOrder[0]
		cacheOrder = cacheOrder[1:]
		cacheTotal -= uint64(len(cache[old]))
		delete(cache, old)
	}
	cache[key] = b
	cacheOrder = append(cacheOrder, key)
	cacheTotal += uint64(n)
	cacheMu.Unlock()
}

var sink atomic.Uint64

// parseRequest makes the request's short-lived garbage.
//
//go:noinline
func parseRequest(seq uint64, n int) uint64 {
	buf := make([]byte, n)
	for i := 0; i < n; i += 64 {
		buf[i] = byte(seq + uint64(i))
	}
	var sum uint64
	for i := 0; i < n; i += 64 {
		sum += uint64(buf[i])
	}
	return sum
}

type request struct {
	seq        uint64
	cacheBytes int
}

func handle(s *settings, r request) {
	sink.Add(parseRequest(r.seq, int(s.churnBytes)))
	if r.cacheBytes == 0 {
		return
	}
	if s.steady {
		boundedCacheInsert(r.seq, r.cacheBytes, uint64(s.cacheMax))
	} else {
		leakyCacheInsert(r.seq, r.cacheBytes)
	}
}

// share is request seq's part of rate: the first N requests together carry
// exactly floor(rate*N/rps).
func share(rate, rps float64, seq uint64) int {
	return int(math.Floor(rate*float64(seq)/rps) - math.Floor(rate*float64(seq-1)/rps))
}

func status(t float64, handled uint64) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	cacheMu.Lock()
	total := cacheTotal
	cacheMu.Unlock()
	fmt.Printf("%s: t=%.0fs requests=%d cache_bytes=%d heap_alloc=%d num_gc=%d goroutines=%d\n",
		name, t, handled, total, ms.HeapAlloc, ms.NumGC, runtime.NumGoroutine())
}

func main() {
	s := parseFlags(os.Args[1:])
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)

	until := "until SIGTERM/SIGINT"
	if s.duration > 0 {
		until = fmt.Sprintf("%g s", s.duration)
	}
	fmt.Printf("%s: pid %d, %d workers, %g requests/s, %s\n", name, os.Getpid(), s.workers, s.rps, until)
	if s.addr != "" {
		ln, err := net.Listen("tcp", s.addr)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: -addr %s: %v\n", name, s.addr, err)
			os.Exit(1)
		}
		fmt.Printf("%s: pprof on http://%s/debug/pprof/\n", name, ln.Addr())
		go http.Serve(ln, nil)
	}
	if s.steady {
		fmt.Printf("%s: cache: %d bytes/s into a map bounded at %d bytes (boundedCacheInsert)\n",
			name, uint64(s.leakRate), uint64(s.cacheMax))
	} else {
		fmt.Printf("%s: cache leak: %d bytes/s into a map that never forgets (leakyCacheInsert)\n",
			name, uint64(s.leakRate))
	}
	fmt.Printf("%s: churn: %d short-lived bytes per request (parseRequest)\n", name, uint64(s.churnBytes))

	var handled atomic.Uint64
	reqs := make(chan request, 4096)
	var wg sync.WaitGroup
	for i := 0; i < s.workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range reqs {
				handle(&s, r)
				handled.Add(1)
			}
		}()
	}

	start := time.Now()
	var end <-chan time.Time
	if s.duration > 0 {
		end = time.After(time.Duration(s.duration * float64(time.Second)))
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	reason := "duration"
	var seq uint64
	period := float64(time.Second) / s.rps
	// Requests go out on absolute deadlines, so a late wake-up catches up
	// instead of drifting.
	next := time.NewTimer(time.Duration(period))
loop:
	for {
		select {
		case sig := <-sigs:
			reason = map[os.Signal]string{syscall.SIGTERM: "SIGTERM", syscall.SIGINT: "SIGINT"}[sig]
			break loop
		case <-end:
			break loop
		case now := <-tick.C:
			status(math.Round(now.Sub(start).Seconds()), handled.Load())
		case <-next.C:
			elapsed := time.Since(start)
			for time.Duration(float64(seq+1)*period) <= elapsed {
				seq++
				reqs <- request{seq, share(float64(s.leakRate), s.rps, seq)}
			}
			next.Reset(time.Duration(float64(seq+1)*period) - elapsed)
		}
	}
	close(reqs)
	wg.Wait()
	cacheMu.Lock()
	freed := cacheTotal
	cache, cacheOrder, cacheTotal = nil, nil, 0
	cacheMu.Unlock()
	fmt.Printf("%s: stopped (%s) after %.1f s: requests=%d dispatched=%d, freed %d cache bytes\n",
		name, reason, time.Since(start).Seconds(), handled.Load(), seq, freed)
}
