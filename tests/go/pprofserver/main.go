// Command pprofserver is a Go service with net/http/pprof, the subject of
// `hearth capture` tests (tests/cli/capture.sh): Go's own endpoints serve
// heap, allocs, profile?seconds=N, goroutine, threadcreate and cmdline.
// It leaks memory in leakRequest (-leak-rate bytes a second), keeps
// -idle goroutines blocked in waitForUpstream under a pprof label with
// markdown and HTML in its value, and burns CPU in spinHash, so every
// section of the report has something in it.
//
// With -exit-on PATH the process exits as soon as a request for PATH
// arrives, without answering: a service that goes away halfway.
//
// Usage: pprofserver [-leak-rate N] [-idle N] [-exit-on PATH]
// Prints the port it listens on (127.0.0.1, any free port) on stdout.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"time"
)

var (
	mu     sync.Mutex
	leaked [][]byte
	sink   uint64
)

//go:noinline
func leakRequest(n int) {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i)
	}
	mu.Lock()
	leaked = append(leaked, b)
	mu.Unlock()
}

//go:noinline
func waitForUpstream(block chan struct{}) {
	<-block
}

//go:noinline
func spinHash() {
	h := uint64(1469598103934665603)
	for i := 0; i < 2000000; i++ {
		h = (h ^ uint64(i)) * 1099511628211
	}
	sink += h
}

func main() {
	leakRate := flag.Int("leak-rate", 1<<20, "bytes leaked per second")
	idle := flag.Int("idle", 25, "goroutines blocked forever")
	exitOn := flag.String("exit-on", "", "exit when a request for this path arrives")
	flag.Parse()
	runtime.MemProfileRate = 4096

	block := make(chan struct{})
	labels := pprof.Labels("name", "upstream|watch <b>*x*</b> `tick` [a](b)")
	for i := 0; i < *idle; i++ {
		go pprof.Do(context.Background(), labels, func(context.Context) { waitForUpstream(block) })
	}
	go func() {
		const perTick = 10
		for range time.Tick(time.Second / perTick) {
			leakRequest(*leakRate / perTick)
		}
	}()
	go func() {
		for {
			spinHash()
			time.Sleep(time.Millisecond)
		}
	}()

	if *exitOn != "" {
		inner := http.DefaultServeMux
		http.DefaultServeMux = http.NewServeMux()
		http.DefaultServeMux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == *exitOn {
				os.Exit(3)
			}
			inner.ServeHTTP(w, r)
		})
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "pprofserver:", err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr().(*net.TCPAddr).Port)
	os.Stdout.Sync()
	fmt.Fprintln(os.Stderr, http.Serve(ln, nil))
	os.Exit(1)
}
