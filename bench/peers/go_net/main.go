// Echo peer on Go's net package for bench/echo.ts and bench/stress/stress.ts, with
// --reuse-port (SO_REUSEPORT, so that several processes share one port, as the stress harness
// needs past the 20,000-fd limit of one process) and --buf (the per-connection buffer).
//
//	go build -o bench/.build/go_net bench/peers/go_net/main.go
//	GOMAXPROCS=1 bench/.build/go_net --port 0 --hostname 127.0.0.1 [--reuse-port] [--buf 65536]
//
// Prints `listening on HOST:PORT` first, then echoes every byte back: a goroutine per
// connection, each with its own buffer (64 KiB by default, as the Deno peer; a buffer is
// only resident once the kernel has written into it, i.e. its first page).
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
)

func echo(c net.Conn, size int) {
	defer c.Close()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	buf := make([]byte, size)
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

// soReusePort is SO_REUSEPORT on Linux (asm-generic/socket.h); Go's syscall package does not export it.
const soReusePort = 15

func reusePort(_, _ string, rc syscall.RawConn) error {
	var serr error
	err := rc.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, soReusePort, 1)
	})
	if err != nil {
		return err
	}
	return serr
}

func main() {
	port := flag.Int("port", 0, "TCP port (0 picks a free one)")
	hostname := flag.String("hostname", "127.0.0.1", "address to listen on")
	reuse := flag.Bool("reuse-port", false, "SO_REUSEPORT: share the port with other processes")
	size := flag.Int("buf", 64*1024, "read buffer per connection, bytes")
	flag.Parse()
	lc := net.ListenConfig{}
	if *reuse {
		lc.Control = reusePort
	}
	ln, err := lc.Listen(context.Background(), "tcp", net.JoinHostPort(*hostname, strconv.Itoa(*port)))
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
		go echo(c, *size)
	}
}
