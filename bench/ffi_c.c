/*
 * The C side of bench/micro_bench.ts: the same two loops, without FFI, so the
 * ratio Deno/C shows what the FFI boundary and the JS decoding cost.
 *
 *   1. write 64 bytes + read 64 bytes on a nonblocking AF_UNIX socketpair;
 *   2. epoll_wait(epfd, events, 64, 0) with 64 ready level-triggered
 *      eventfds (value 1), reading every event's events and data.
 *
 * Prints one JSON object: for each operation, ns per iteration (the mean of
 * the timed rounds). bench/micro.ts builds and runs it.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MSG 64
#define READY 64
#define ROUNDS 25
#define ROUND_NS 20e6 /* each timed round runs about 20 ms */

static int sock_a, sock_b, epfd;
static char out_buf[MSG], in_buf[MSG];
static struct epoll_event events[READY];
/* Consumed after the loops so the decoding cannot be optimised away. */
static volatile uint64_t sink;

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void die(const char *what) {
  perror(what);
  exit(1);
}

static void write_read(void) {
  if (write(sock_a, out_buf, MSG) != MSG) die("write");
  if (read(sock_b, in_buf, MSG) != MSG) die("read");
}

static void epoll_wait_decode(void) {
  int n = epoll_wait(epfd, events, READY, 0);
  if (n != READY) die("epoll_wait");
  uint64_t acc = 0;
  for (int i = 0; i < n; i++) acc += events[i].events + events[i].data.u64;
  sink += acc;
}

/* Times `op` over ROUNDS rounds of a calibrated size; prints its JSON member (ns per call). */
static void measure(const char *key, void (*op)(void), int last) {
  long iters = 16;
  for (;;) { /* calibrate (this also warms up): grow until a round takes ROUND_NS */
    double t0 = now_ns();
    for (long i = 0; i < iters; i++) op();
    if (now_ns() - t0 >= ROUND_NS) break;
    iters *= 2;
  }
  double t0 = now_ns();
  for (long i = 0; i < iters * ROUNDS; i++) op();
  printf("  \"%s\": %.2f%s\n", key, (now_ns() - t0) / (iters * ROUNDS), last ? "" : ",");
}

static void setup(void) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0) die("socketpair");
  sock_a = sv[0];
  sock_b = sv[1];
  memset(out_buf, 'a', MSG);
  epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) die("epoll_create1");
  for (int i = 0; i < READY; i++) {
    int efd = eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC);
    if (efd < 0) die("eventfd");
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)efd};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, efd, &ev) < 0) die("epoll_ctl");
  }
}

int main(void) {
  setup();
  printf("{\n");
  measure("write_read_64", write_read, 0);
  measure("epoll_wait_64", epoll_wait_decode, 1);
  printf("}\n");
  return sink == 0; /* never 0: every event has EPOLLIN set */
}
