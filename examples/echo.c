/*
 * echo.c: the classic epoll echo server, complete. examples/echo.ts is the
 * same program on @libc/epoll; the numbered steps match its comments.
 *
 *   cc -O2 -o echo examples/echo.c && ./echo --port 7777 --mode et
 *
 * Flags (--help lists them): --hostname H (127.0.0.1), --port N (7777; 0 picks
 * one), --mode et|lt (et), --max-conns N (0 = no limit), --reuse-port,
 * --idle-timeout MS (0 = off). Prints "listening on HOST:PORT" first;
 * SIGINT/SIGTERM stop it and print the totals.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS 256
#define BUF_SIZE 65536 /* one read; also the most output a conn may hold back */
#define SWEEPS_PER_TIMEOUT 8 /* a conn idle for idle_ms is closed at most idle_ms/8 later */
#define SWEEP_MIN_MS 10.0    /* but the sweep runs at most every 10 ms */
#define MAX_MS 2147483647L   /* --idle-timeout: about 24.8 days */

struct conn {
  char *pending; /* echo not yet written (the peer is not reading) */
  size_t len, off;
  double last; /* when a byte was last read or written: the `now` of that batch */
};

static volatile sig_atomic_t running = 1;
static struct conn **conns; /* by fd */
static int et;              /* EPOLLET or 0 */
static int epfd;
static long open_conns, peak_conns, total_conns;
static unsigned long long total_bytes;
static char buf[BUF_SIZE];
static int reserve_fd; /* libuv's EMFILE trick: an fd to give back */
static double now;     /* ms on CLOCK_MONOTONIC, read once per epoll_wait batch */
static long idle_ms;   /* --idle-timeout: 0 = off */
static int timer_fd = -1;    /* the idle sweep's timerfd, in the epoll set (-1: off) */
static double sweep_ms;      /* its period: idle_ms / SWEEPS_PER_TIMEOUT, at least SWEEP_MIN_MS */
static int sweep_armed;
static int conns_len;        /* one past the highest fd ever held, as echo.ts's conns.length */
static long idle_closed;

static void on_signal(int sig) { (void)sig; running = 0; }

/* CLOCK_MONOTONIC, not _COARSE: read once per batch, the finer clock costs
 * nothing that shows, and a jiffy-coarse one could close a conn up to a jiffy
 * (4-10 ms) before idle_ms. */
static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Runs the idle sweep every period_ms; 0 disarms it. */
static void set_sweep(double period_ms) {
  long long ns = (long long)(period_ms * 1e6);
  struct timespec every = {.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000};
  struct itimerspec its = {.it_interval = every, .it_value = every};
  timerfd_settime(timer_fd, 0, &its, NULL);
  sweep_armed = period_ms > 0;
}

static void set_interest(int fd, unsigned events) {
  struct epoll_event ev = {.events = events | et, .data.fd = fd};
  epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
}

static void close_conn(int fd) {
  epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
  close(fd);
  free(conns[fd]->pending);
  free(conns[fd]);
  conns[fd] = NULL;
  open_conns--;
}

/* One more open connection, unless max_conns are open already (0: no limit). */
static int admit(long max_conns) {
  if (max_conns > 0 && open_conns >= max_conns) return 0;
  if (++open_conns > peak_conns) peak_conns = open_conns;
  return 1;
}

/* Writes until done or EAGAIN; keeps the rest and waits for EPOLLOUT. */
static int send_or_keep(int fd, struct conn *c, const char *data, size_t len) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = send(fd, data + done, len - done, MSG_NOSIGNAL);
    if (n > 0) { done += (size_t)n; continue; }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    return -1; /* EPIPE, ECONNRESET */
  }
  total_bytes += done;
  if (done == len) return 0;
  c->pending = malloc(len - done);
  if (c->pending == NULL) return -1;
  memcpy(c->pending, data + done, len - done);
  c->len = len - done;
  c->off = 0;
  set_interest(fd, EPOLLOUT); /* OUT only: no IN, no RDHUP until the peer catches up (see on_writable) */
  return 0;
}

/* Step 6: read and echo. ET drains to EAGAIN; LT takes one read per event. */
static void on_readable(int fd, struct conn *c) {
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      c->last = now;
      if (send_or_keep(fd, c, buf, (size_t)n) < 0) { close_conn(fd); return; }
      if (c->pending != NULL || !et) return;
      continue;
    }
    if (n == 0) { close_conn(fd); return; } /* EOF: everything was echoed */
    if (errno == EINTR) continue;
    if (errno != EAGAIN) close_conn(fd); /* ECONNRESET */
    return;
  }
}

/* Step 7: the peer made room: flush, then read again. Until then the interest
 * is EPOLLOUT alone: in LT mode an EPOLLRDHUP from a peer that half-closed
 * but does not read would be reported on every epoll_wait, a busy loop. */
static void on_writable(int fd, struct conn *c) {
  while (c->off < c->len) {
    ssize_t n = send(fd, c->pending + c->off, c->len - c->off, MSG_NOSIGNAL);
    if (n > 0) { c->off += (size_t)n; total_bytes += (size_t)n; c->last = now; continue; }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    close_conn(fd);
    return;
  }
  free(c->pending);
  c->pending = NULL;
  set_interest(fd, EPOLLIN | EPOLLRDHUP); /* an EOF that came meanwhile is read now */
  on_readable(fd, c);
}

/* Out of fds: free the reserve, accept-and-close the backlog, take the reserve
 * back. It may still be short (-1): it is taken again at the next shed.
 * Returns how many connections were shed. */
static int shed(int listen_fd) {
  int n = 0;
  if (reserve_fd >= 0) close(reserve_fd);
  for (;;) {
    int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) break;
    close(fd);
    n++;
  }
  reserve_fd = eventfd(0, EFD_CLOEXEC);
  return n;
}

/* Step 5: accept. ET takes every pending connection; LT one per event. */
static void on_listener(int listen_fd, long max_conns) {
  for (;;) {
    int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE) shed(listen_fd);
      return; /* EAGAIN */
    }
    if (!admit(max_conns)) { close(fd); continue; } /* refuse cleanly: the client sees EOF */
    conns[fd] = calloc(1, sizeof(struct conn));
    conns[fd]->last = now;
    if (fd >= conns_len) conns_len = fd + 1;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | et, .data.fd = fd};
    epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
    total_conns++;
    if (timer_fd >= 0 && !sweep_armed) set_sweep(sweep_ms);
    if (!et) return;
  }
}

/* Step 9: the idle sweep, at each tick of the timerfd: close every conn with
 * no byte read or written for idle_ms. It runs only while conns are open:
 * on_listener arms it, and a sweep that leaves none disarms it, so a server
 * without connections is never woken. Each tick costs one pass over the fd
 * table (conns_len slots), every idle_ms/8. */
static void sweep(void) {
  uint64_t expirations;
  long left = 0;
  if (read(timer_fd, &expirations, sizeof expirations) < 0) return; /* EAGAIN: disarmed meanwhile */
  for (int fd = 0; fd < conns_len; fd++) {
    struct conn *c = conns[fd];
    if (c == NULL) continue;
    if (now - c->last < idle_ms) { left++; continue; }
    close_conn(fd);
    idle_closed++;
  }
  if (left == 0) set_sweep(0);
}

static const char usage[] =
    "Usage: echo [options]\n"
    "\n"
    "  --hostname HOST     address to listen on (default 127.0.0.1)\n"
    "  --port N            port (default 7777; 0 picks a free one)\n"
    "  --mode et|lt        edge- or level-triggered (default et)\n"
    "  --max-conns N       close connections beyond N open ones at once (default 0: no limit)\n"
    "  --reuse-port        SO_REUSEPORT on the listener: several processes can share the port\n"
    "  --idle-timeout MS   close a connection after MS ms with no byte read or written (default 0: off);\n"
    "                      swept every MS/8 ms (at least 10 ms), so it goes within one period of MS\n"
    "  --help              this text\n"
    "\n"
    "Prints \"listening on HOST:PORT\" when ready; SIGINT/SIGTERM stop it and print the totals.\n";

/* A flag's value: a whole number in 0..max, or the program stops with a message. */
static long number(const char *flag, const char *text, long max) {
  char *end;
  errno = 0;
  long v = strtol(text, &end, 10);
  if (*text < '0' || *text > '9' || *end != '\0' || errno != 0 || v > max) {
    fprintf(stderr, "echo: %s must be an integer in 0..%ld, got \"%s\"\n", flag, max, text);
    exit(2);
  }
  return v;
}

int main(int argc, char **argv) {
  const char *host = "127.0.0.1";
  int port = 7777;
  long max_conns = 0;
  int reuse_port = 0;
  et = EPOLLET;
  for (int i = 1; i < argc; i++) {
    const char *flag = argv[i], *value = i + 1 < argc ? argv[i + 1] : "";
    if (!strcmp(flag, "--help")) { fputs(usage, stdout); return 0; }
    if (!strcmp(flag, "--reuse-port")) { reuse_port = 1; continue; }
    if (!strcmp(flag, "--hostname")) host = value;
    else if (!strcmp(flag, "--port")) port = (int)number(flag, value, 65535);
    else if (!strcmp(flag, "--mode")) et = strcmp(value, "lt") ? EPOLLET : 0;
    else if (!strcmp(flag, "--max-conns")) max_conns = number(flag, value, 1L << 30);
    else if (!strcmp(flag, "--idle-timeout")) idle_ms = number(flag, value, MAX_MS);
    else { fprintf(stderr, "echo: unknown argument %s (see --help)\n", flag); return 2; }
    i++; /* the value */
  }
  sweep_ms = idle_ms / (double)SWEEPS_PER_TIMEOUT;
  if (sweep_ms < SWEEP_MIN_MS) sweep_ms = SWEEP_MIN_MS;
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  conns = calloc(rl.rlim_cur, sizeof *conns);
  reserve_fd = eventfd(0, EFD_CLOEXEC);
  struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: epoll_wait returns EINTR */
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);

  /* Step 1: a nonblocking listening socket. */
  int listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (reuse_port) setsockopt(listen_fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, host, &addr.sin_addr);
  if (bind(listen_fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(listen_fd, 4096) < 0) {
    perror("bind/listen");
    return 1;
  }
  socklen_t alen = sizeof addr;
  getsockname(listen_fd, (struct sockaddr *)&addr, &alen);
  printf("listening on %s:%d\n", host, ntohs(addr.sin_port));
  fflush(stdout);

  /* Step 2: the epoll instance. */
  epfd = epoll_create1(EPOLL_CLOEXEC);

  /* Step 3: register the listener for EPOLLIN; with --idle-timeout, the
   * sweep's timerfd too (step 9; armed only while conns are open). */
  struct epoll_event ev = {.events = EPOLLIN | et, .data.fd = listen_fd};
  epoll_ctl(epfd, EPOLL_CTL_ADD, listen_fd, &ev);
  timer_fd = idle_ms > 0 ? timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC) : -1;
  struct epoll_event tick = {.events = EPOLLIN, .data.fd = timer_fd};
  if (timer_fd >= 0) epoll_ctl(epfd, EPOLL_CTL_ADD, timer_fd, &tick);

  /* Step 4: the event loop. */
  struct epoll_event events[MAX_EVENTS];
  while (running) {
    int nfds = epoll_wait(epfd, events, MAX_EVENTS, -1);
    if (nfds < 0) {
      if (errno == EINTR) continue;
      perror("epoll_wait");
      break;
    }
    now = now_ms(); /* one clock read per batch: the time of every transfer in it */
    for (int i = 0; i < nfds; i++) {
      int fd = events[i].data.fd;
      struct conn *c = conns[fd];
      if (fd == listen_fd) on_listener(listen_fd, max_conns);
      else if (fd == timer_fd) sweep();
      else if (c == NULL) continue; /* closed earlier in this batch */
      else if (c->pending != NULL) on_writable(fd, c);
      else on_readable(fd, c);
    }
  }

  /* Step 8: stop and report. */
  printf("idle closed: %ld\n", idle_closed);
  printf("connections: %ld, bytes echoed: %llu, peak connections: %ld\n", total_conns, total_bytes,
         peak_conns);
  for (int fd = 0; fd < (int)rl.rlim_cur; fd++)
    if (conns[fd] != NULL) close_conn(fd);
  close(listen_fd);
  close(epfd);
  if (timer_fd >= 0) close(timer_fd);
  if (reserve_fd >= 0) close(reserve_fd);
  return 0;
}
