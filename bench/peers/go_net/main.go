// Echo peer on Go's net package for bench/echo.ts and bench/stress/stress.ts, with
// --reuse-port (SO_REUSEPORT, so that several processes share one port, as the stress harness
// needs past the 20,000-fd limit of one process).
//
//	go build -o bench/.build/go_net bench/peers/go_net/main.go
//	GOMAXPROCS=1 bench/.build/go_net --port 0 [--reuse-port]
//
// Listens on 127.0.0.1 and prints `listening on HOST:PORT` first, then echoes every byte back:
// a goroutine per connection, each with its own 64 KiB buffer, as the Deno peer (a buffer is
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
	reuse := flag.Bool("reuse-port", false, "SO_REUSEPORT: share the port with other processes")
	flag.Parse()
	lc := net.ListenConfig{}
	if *reuse {
		lc.Control = reusePort
	}
	ln, err := lc.Listen(context.Background(), "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(*port)))
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
	fmt.Printf("listening on %s\n", ln.Addr())
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
