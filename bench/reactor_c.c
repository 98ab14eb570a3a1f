/*
 * The C side of bench/reactor_bench.ts, one binary with three modes. Every
 * socket is an AF_UNIX stream connection through a path in /tmp: the bench
 * cannot hand a socketpair's fd to another process, and a connected AF_UNIX
 * stream is the same kernel object as a socketpair end.
 *
 *   server <path> <conns> <size> <warmupMs> <measureMs>
 *       The reference for "the same loop in C": listen on <path>, accept
 *       <conns> connections, then the classic level-triggered epoll loop
 *       (epoll_wait, then one read and one write of what was read, per
 *       event). Counts events and its own CPU time over <measureMs> after
 *       <warmupMs>, prints one RESULT line of JSON, closes everything.
 *
 *   drive <path> <conns> <size> <depth> <maxMs>
 *       The load for every server (C, bare FFI, reactor): connect <conns>
 *       times, send <depth> <size>-byte messages on each, and send one more
 *       for every whole echo that comes back, so <depth> stay in flight per
 *       connection and the server always has a message to read: it, not the
 *       driver, sets the pace. The driver naps 1 ms between rounds so that
 *       echoes pile up and it moves several per read and write: far cheaper
 *       per message than any server, and its writes seldom have to wake one.
 *       Exits when the server has closed every connection, or after <maxMs>.
 *
 *   echo <path> [holdUs]
 *       The peer for the wake-latency runs: connect once, then a blocking
 *       read-and-write-back loop until EOF. With <holdUs>, it sleeps that
 *       long before each answer (so the caller's reactor has surely parked)
 *       and answers with the 8-byte nanosecond count it actually held, which
 *       the caller subtracts from its round trip.
 *
 * Build: cc -O2 -Wall -Wextra -o bench/.build/reactor_c bench/reactor_c.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 4096
#define MAX_EVENTS 256
#define BUF_SIZE 65536
#define NAP_US 1000

static void die(const char *what) {
  perror(what);
  exit(1);
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t cpu_ns(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  int64_t us = (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec +
               ru.ru_stime.tv_usec;
  return us * 1000;
}

static struct sockaddr_un unix_addr(const char *path) {
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  if (strlen(path) >= sizeof addr.sun_path) {
    fprintf(stderr, "path too long: %s\n", path);
    exit(1);
  }
  strcpy(addr.sun_path, path);
  return addr;
}

/* Connects to <path>, retrying for up to 5 s while the listener is not there yet. */
static int connect_retry(const char *path) {
  struct sockaddr_un addr = unix_addr(path);
  for (int attempt = 0; attempt < 5000; attempt++) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0) return fd;
    close(fd);
    if (errno != ENOENT && errno != ECONNREFUSED && errno != EAGAIN) die("connect");
    usleep(1000);
  }
  fprintf(stderr, "could not connect to %s\n", path);
  exit(1);
}

static void set_nonblocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) die("fcntl");
}

/* Adds <fd> for <events>; <data> comes back with each event (the server's fd, the driver's index). */
static void epoll_add(int epfd, int fd, uint32_t events, uint32_t data) {
  struct epoll_event ev = {.events = events, .data.u32 = data};
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl");
}

/* ------------------------------------------------------------------ server */

struct tally {
  int64_t events, polls, empty_polls;
};

static int listen_and_accept(const char *path, int conns, int *fds) {
  struct sockaddr_un addr = unix_addr(path);
  unlink(path);
  int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (lfd < 0) die("socket");
  if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0) die("bind");
  if (listen(lfd, conns) < 0) die("listen");
  printf("ready\n");
  fflush(stdout);
  for (int i = 0; i < conns; i++) {
    fds[i] = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fds[i] < 0) die("accept4");
  }
  close(lfd);
  unlink(path);
  return conns;
}

/* One epoll_wait and its events: read once, write back what was read (the work every server does). */
static int serve_once(int epfd, struct epoll_event *events, char *buf, int size, struct tally *t) {
  int n = epoll_wait(epfd, events, MAX_EVENTS, -1);
  if (n < 0) {
    if (errno == EINTR) return 0;
    die("epoll_wait");
  }
  t->polls++;
  if (n == 0) t->empty_polls++;
  int closed = 0;
  for (int i = 0; i < n; i++) {
    int fd = (int)events[i].data.u32;
    ssize_t r = read(fd, buf, (size_t)size);
    if (r > 0) {
      if (write(fd, buf, (size_t)r) < 0 && errno != EAGAIN) die("write");
    } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
      close(fd); /* also leaves the epoll set */
      closed++;
    }
    t->events++;
  }
  return closed;
}

static int run_server(const char *path, int conns, int size, int warmup_ms, int measure_ms) {
  static int fds[MAX_CONNS];
  static char buf[BUF_SIZE];
  struct epoll_event events[MAX_EVENTS];
  listen_and_accept(path, conns, fds);
  int epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) die("epoll_create1");
  for (int i = 0; i < conns; i++) epoll_add(epfd, fds[i], EPOLLIN, (uint32_t)fds[i]);
  struct tally t = {0, 0, 0}, start = {0, 0, 0};
  int64_t t0 = now_ns(), mark = t0 + (int64_t)warmup_ms * 1000000, end = mark + (int64_t)measure_ms * 1000000;
  int64_t cpu0 = 0, wall0 = 0;
  int open = conns;
  int measuring = 0;
  while (open > 0) {
    open -= serve_once(epfd, events, buf, size, &t);
    int64_t now = now_ns();
    if (!measuring && now >= mark) {
      measuring = 1, start = t, cpu0 = cpu_ns(), wall0 = now;
    } else if (measuring && now >= end) {
      break;
    }
  }
  int64_t cpu = cpu_ns() - cpu0, wall = now_ns() - wall0;
  printf("RESULT {\"events\":%lld,\"cpuNs\":%lld,\"wallNs\":%lld,\"polls\":%lld,\"emptyPolls\":%lld}\n",
         (long long)(t.events - start.events), (long long)cpu, (long long)wall, (long long)(t.polls - start.polls),
         (long long)(t.empty_polls - start.empty_polls));
  fflush(stdout);
  for (int i = 0; i < conns; i++) close(fds[i]);
  close(epfd);
  return 0;
}

/* ------------------------------------------------------------------ driver */

/* Sends <count> whole messages on <fd>; false once the server has gone (EPIPE and the like). */
static int send_messages(int fd, const char *msg, int size, int count) {
  ssize_t w = write(fd, msg, (size_t)size * (size_t)count);
  return w >= 0 || errno == EAGAIN;
}

static int run_driver(const char *path, int conns, int size, int depth, int max_ms) {
  static int fds[MAX_CONNS], got[MAX_CONNS];
  static char buf[BUF_SIZE], msg[BUF_SIZE];
  struct epoll_event events[MAX_EVENTS];
  if (size * depth > BUF_SIZE) {
    fprintf(stderr, "size * depth must be at most %d\n", BUF_SIZE);
    return 2;
  }
  memset(msg, 'x', (size_t)(size * depth));
  int epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) die("epoll_create1");
  for (int i = 0; i < conns; i++) {
    fds[i] = connect_retry(path);
    set_nonblocking(fds[i]);
    epoll_add(epfd, fds[i], EPOLLIN, (uint32_t)i);
  }
  for (int i = 0; i < conns; i++) send_messages(fds[i], msg, size, depth);
  int64_t t0 = now_ns(), deadline = t0 + (int64_t)max_ms * 1000000;
  long long round_trips = 0;
  int open = conns;
  while (open > 0 && now_ns() < deadline) {
    usleep(NAP_US); /* let echoes pile up: one read and one write then carry several messages */
    int n = epoll_wait(epfd, events, MAX_EVENTS, 100);
    for (int e = 0; e < n; e++) {
      int i = (int)events[e].data.u32;
      ssize_t r = read(fds[i], buf, sizeof buf);
      int alive = r > 0 || (r < 0 && (errno == EAGAIN || errno == EINTR));
      if (r > 0) {
        /* Every whole echo goes straight back out: <depth> messages stay in flight. */
        int whole = (got[i] += (int)r) / size;
        got[i] %= size;
        round_trips += whole;
        if (whole > 0) alive = send_messages(fds[i], msg, size, whole);
      }
      if (!alive) {
        close(fds[i]);
        fds[i] = -1;
        open--;
      }
    }
  }
  for (int i = 0; i < conns; i++)
    if (fds[i] >= 0) close(fds[i]);
  close(epfd);
  printf("RESULT {\"roundTrips\":%lld,\"cpuNs\":%lld,\"wallNs\":%lld}\n", round_trips, (long long)cpu_ns(),
         (long long)(now_ns() - t0));
  return 0;
}

/* ------------------------------------------------------------------ echo */

/* Sleeps <us> microseconds; returns the nanoseconds actually slept. */
static int64_t hold(int us) {
  struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (long)(us % 1000000) * 1000};
  int64_t t0 = now_ns();
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
  }
  return now_ns() - t0;
}

static int run_echo(const char *path, int hold_us) {
  int fd = connect_retry(path);
  char buf[4096];
  prctl(PR_SET_TIMERSLACK, 1UL); /* hold for the asked time, not 50 µs more */
  for (;;) {
    ssize_t r = read(fd, buf, sizeof buf);
    if (r == 0) break;
    if (r < 0) {
      if (errno == EINTR) continue;
      die("read");
    }
    if (hold_us > 0) {
      /* Answer with how long it held (8 bytes, native order): the caller subtracts it exactly. */
      int64_t held = hold(hold_us);
      if (write(fd, &held, sizeof held) != (ssize_t)sizeof held) die("write");
    } else if (write(fd, buf, (size_t)r) != r) {
      die("write");
    }
  }
  close(fd);
  return 0;
}

/* Parses a positive int argument no larger than <max>. */
static int arg(const char *text, int max) {
  int v = atoi(text);
  if (v <= 0 || v > max) {
    fprintf(stderr, "argument out of range (1..%d): %s\n", max, text);
    exit(2);
  }
  return v;
}

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN); /* a peer that closed first is EPIPE, not death */
  if (argc == 7 && strcmp(argv[1], "server") == 0) {
    return run_server(argv[2], arg(argv[3], MAX_CONNS), arg(argv[4], BUF_SIZE), arg(argv[5], 600000),
                      arg(argv[6], 600000));
  }
  if (argc == 7 && strcmp(argv[1], "drive") == 0) {
    return run_driver(argv[2], arg(argv[3], MAX_CONNS), arg(argv[4], BUF_SIZE), arg(argv[5], 1024),
                      arg(argv[6], 600000));
  }
  if (argc == 3 && strcmp(argv[1], "echo") == 0) return run_echo(argv[2], 0);
  if (argc == 4 && strcmp(argv[1], "echo") == 0) return run_echo(argv[2], arg(argv[3], 1000000));
  fprintf(stderr,
          "usage: %s server <path> <conns> <size> <warmupMs> <measureMs>\n"
          "       %s drive <path> <conns> <size> <depth> <maxMs>\n"
          "       %s echo <path> [holdUs]\n",
          argv[0], argv[0], argv[0]);
  return 2;
}
