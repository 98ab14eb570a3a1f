/*
 * echo.c: the classic epoll echo server, complete. examples/echo.ts is the
 * same program on @libc/epoll; the numbered steps match its comments.
 *
 *   cc -O2 -o echo examples/echo.c && ./echo --port 7777 --mode et
 *
 * Flags: --hostname H (127.0.0.1), --port N (7777; 0 picks one), --mode et|lt
 * (et), --max-conns N (0 = no limit). Prints "listening on HOST:PORT" first;
 * SIGINT/SIGTERM stop it and print the totals.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_EVENTS 256
#define BUF_SIZE 65536 /* one read; also the most output a conn may hold back */

struct conn {
  char *pending; /* echo not yet written (the peer is not reading) */
  size_t len, off;
};

static volatile sig_atomic_t running = 1;
static struct conn **conns; /* by fd */
static int et;              /* EPOLLET or 0 */
static int epfd;
static long open_conns, peak_conns, total_conns;
static unsigned long long total_bytes;
static char buf[BUF_SIZE];
static int reserve_fd; /* libuv's EMFILE trick: an fd to give back */

static void on_signal(int sig) { (void)sig; running = 0; }

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
    if (n > 0) { c->off += (size_t)n; total_bytes += (size_t)n; continue; }
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
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | et, .data.fd = fd};
    epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
    total_conns++;
    if (!et) return;
  }
}

int main(int argc, char **argv) {
  const char *host = "127.0.0.1";
  int port = 7777;
  long max_conns = 0;
  et = EPOLLET;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--hostname")) host = argv[i + 1];
    else if (!strcmp(argv[i], "--port")) port = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--mode")) et = strcmp(argv[i + 1], "lt") ? EPOLLET : 0;
    else if (!strcmp(argv[i], "--max-conns")) max_conns = atol(argv[i + 1]);
  }
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

  /* Step 3: register the listener for EPOLLIN. */
  struct epoll_event ev = {.events = EPOLLIN | et, .data.fd = listen_fd};
  epoll_ctl(epfd, EPOLL_CTL_ADD, listen_fd, &ev);

  /* Step 4: the event loop. */
  struct epoll_event events[MAX_EVENTS];
  while (running) {
    int nfds = epoll_wait(epfd, events, MAX_EVENTS, -1);
    if (nfds < 0) {
      if (errno == EINTR) continue;
      perror("epoll_wait");
      break;
    }
    for (int i = 0; i < nfds; i++) {
      int fd = events[i].data.fd;
      struct conn *c = conns[fd];
      if (fd == listen_fd) on_listener(listen_fd, max_conns);
      else if (c == NULL) continue; /* closed earlier in this batch */
      else if (c->pending != NULL) on_writable(fd, c);
      else on_readable(fd, c);
    }
  }

  /* Step 8: stop and report. */
  printf("connections: %ld, bytes echoed: %llu, peak connections: %ld\n", total_conns, total_bytes,
         peak_conns);
  for (int fd = 0; fd < (int)rl.rlim_cur; fd++)
    if (conns[fd] != NULL) close_conn(fd);
  close(listen_fd);
  close(epfd);
  if (reserve_fd >= 0) close(reserve_fd);
  return 0;
}
