// Echo peer on Go's net package for bench/echo.ts.
//
//	go build -o bench/.build/go_net bench/peers/go_net/main.go
//	GOMAXPROCS=1 bench/.build/go_net --port 0 --hostname 127.0.0.1
//
// Prints `listening on HOST:PORT` first, then echoes every byte back: a goroutine per
// connection running an io.CopyBuffer-style loop over its own 64 KiB buffer (the same buffer
// size as the Deno peer). The harness sets GOMAXPROCS=1 for the single-thread comparison.
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
)

func echo(c net.Conn) {
	defer c.Close()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	buf := make([]byte, 64*1024)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return // EOF or a peer reset ends this connection
		}
	}
}

func main() {
	port := flag.Int("port", 0, "TCP port (0 picks a free one)")
	hostname := flag.String("hostname", "127.0.0.1", "address to listen on")
	flag.Parse()
	ln, err := net.Listen("tcp", net.JoinHostPort(*hostname, strconv.Itoa(*port)))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-sigs
		ln.Close()
		os.Exit(0)
	}()
	fmt.Printf("listening on %s\n", net.JoinHostPort(*hostname, strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)))
	for {
		c, err := ln.Accept()
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				continue
			}
			return
		}
		go echo(c)
	}
}
