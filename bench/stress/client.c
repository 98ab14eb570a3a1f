/*
 * client.c: the one load client of the benchmarks: bench:echo and bench:reactor
 * (through bench/lib/load.ts) and the stress harness (bench/stress/fleet.ts).
 * One process opens --conns TCP connections, holds them, and sends messages on
 * them when told to on stdin; every echoed byte is verified. It began as the
 * stress client and took over bench/loadgen.c's work as the `load` command.
 *
 *   cc -O2 -Wall -Wextra -o bench/.build/client bench/stress/client.c
 *   client --port 7777 --conns 100 --size 64 --depth 1            (then "load 0.5 2" on stdin)
 *   client --port 7777 --conns 19000 --src 127.1.0.1,127.1.0.2 --id 3 --size 32
 *
 * Setup: at most --parallel connections are being connected at once, and a
 * connection counts as "up" once its first message came back verified, i.e.
 * the server accepted it and echoes on it. That bounds the server's accept
 * queue, so no SYN is dropped into a 1 s retransmit.
 *
 * Source addresses (--src A,B,…, used in turn; loopback accepts any 127/8
 * address): one process holds at most ~19,990 fds here, so the stress harness
 * starts several, each with its own addresses, a few thousand connections per
 * address: connect()'s search for a free port tries odd ports first (half the
 * range) and slows from ~15,000/s to ~1,500/s at 19,000 on one address.
 *
 * Messages: --size bytes, a slice of one pseudo-random pattern at an offset
 * drawn from (--id, connection, message number), so a byte from another
 * connection or an older message does not pass, and making or checking one
 * is a memcpy / memcmp with no allocation per message. Commands, one a line:
 *   load WARMUP DURATION  every up connection keeps --depth messages in flight; "start MS"
 *                         when the warm-up ends, "stop MS" and "load {json}" after DURATION s
 *   sweep                 one message on every up connection, at most --window in flight;
 *                         "sweep MS" when all came back
 *   beat SECONDS COUNT    COUNT paced messages per connection, one every SECONDS, phases
 *                         spread evenly; one still out when the next is due makes it late
 *                         (skipped); "beaten MS" when all came back
 *   close                 close every connection (RST) and exit
 * EOF on stdin means close; so do SIGTERM and --deadline (seconds since start).
 *
 * Output, stdout, one line each:
 *   stat t=MS up= est= failed= dropped= sent= ok= late= lost= bad= eof= rst= inflight= oldest=MS n= sum= max= h=IDX:COUNT,...
 *     once a second and before every event line; counters are cumulative, n/sum/max/h cover the
 *     echoes since the previous stat line (latency in ns; h is a log-linear histogram, see bucket_of).
 *   up MS            every connection is up or has failed
 *   sweeping MS / beating MS / loading MS: a command was taken (MS since start)
 *   sweep MS / beaten MS / start MS / stop MS
 *   load {json}      the measured window of a load: messages, rates, latency, this process's CPU
 *   done {json}      the totals, last
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

#define MAX_SRCS 64
#define MAX_SIZE (64u * 1024u)
#define MAX_DEPTH 1024
#define PAT_LEN (256u * 1024u) /* offsets are drawn below this */
#define RBUF_LEN (256u * 1024u)
#define EVENTS 1024
#define STDIN_KEY UINT32_MAX
#define SUB_BITS 6 /* 64 sub-buckets per power of two: ~1.6% */
#define SUB (1u << SUB_BITS)
#define BUCKETS (64u * SUB)
#define SEC 1000000000ull

enum { S_FREE, S_CONNECTING, S_PRIMING, S_UP, S_DEAD };

typedef struct {
  int32_t fd;
  uint8_t state;
  uint8_t out_armed; /* EPOLLOUT in the interest set */
  uint8_t in_sweep;  /* its message in flight belongs to the running sweep */
  uint32_t send_off; /* bytes of message sent - 1 written; --size when it is complete */
  uint32_t recv_off; /* bytes of message recvd received */
  uint64_t sent, recvd, want; /* messages started, fully received, to be sent in all */
  uint64_t *ts;               /* start times of the messages in flight, a ring of --depth */
} conn_t;

static struct {
  const char *host, *src;
  int port, conns, parallel, id, window, depth;
  uint32_t size;
  double deadline, setup_timeout;
} opt = {"127.0.0.1", NULL, 0, 1, 128, 0, 1000, 1, 64, 600, 60};

static conn_t *conns;
static uint8_t *pat, rbuf[RBUF_LEN];
static int epfd, n_srcs, next_conn, setting_up;
static struct sockaddr_in dst, srcs[MAX_SRCS];
static uint64_t t0;
static volatile sig_atomic_t signalled;
static bool up_reported;
/* Cumulative counters (printed in every stat line). */
static uint64_t n_up, n_est, n_failed, n_dropped, n_sent, n_ok, n_late, n_lost, n_bad, n_eof, n_rst, n_inflight;
/* Latency since the last stat line, and over a load's measured window; ns. */
static uint64_t stat_hist[BUCKETS], stat_n, stat_sum, stat_max, load_hist[BUCKETS], load_n;
/* Phases. */
static uint64_t sweep_t0, sweep_inflight, beat_t0, beat_period_ns, beat_total, beat_cursor;
static uint64_t load_warm_end, load_end, load_start;
static struct rusage load_ru;
static int sweep_cursor;
static bool sweeping, beating, loading, measuring;

static uint64_t clock_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * SEC + (uint64_t)ts.tv_nsec;
}

static uint64_t ms_since(uint64_t t) { return (clock_ns() - t) / 1000000ull; }

static void fail(const char *what) {
  fprintf(stderr, "client %d: %s: %s\n", opt.id, what, strerror(errno));
  exit(2);
}

static uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

/* Message k of connection c: where it starts in the pattern. */
static const uint8_t *msg_bytes(const conn_t *c, uint64_t k) {
  uint64_t key = ((uint64_t)(uint32_t)opt.id << 44) ^ ((uint64_t)(c - conns) << 24) ^ k;
  return pat + splitmix64(key) % PAT_LEN;
}

static void init_pattern(void) {
  pat = malloc(PAT_LEN + MAX_SIZE);
  if (!pat) fail("malloc");
  uint64_t s = 0x2545f4914f6cdd1dull;
  for (uint32_t i = 0; i < PAT_LEN + MAX_SIZE; i++) {
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
    pat[i] = (uint8_t)(s >> 24);
  }
}

/* Log-linear bucket of a latency in ns: exact below 128, then 64 per power of two. */
static unsigned bucket_of(uint64_t v) {
  if (v < 2 * SUB) return (unsigned)v;
  unsigned shift = (unsigned)(63 - __builtin_clzll(v)) - SUB_BITS;
  unsigned idx = (shift + 1) * SUB + (unsigned)((v >> shift) - SUB);
  return idx < BUCKETS ? idx : BUCKETS - 1;
}

/* The midpoint of a bucket, ns (bucketNanos in bench/stress/hist.ts). */
static double bucket_value(unsigned idx) {
  if (idx < 2 * SUB) return idx;
  unsigned shift = idx / SUB - 1;
  uint64_t lo = (uint64_t)(idx % SUB + SUB) << shift;
  return (double)lo + (double)((1ull << shift) - 1) / 2.0;
}

static double load_percentile_us(double p) {
  if (load_n == 0) return 0;
  uint64_t rank = (uint64_t)(p * (double)load_n), seen = 0;
  if (rank >= load_n) rank = load_n - 1;
  for (unsigned i = 0; i < BUCKETS; i++) {
    if ((seen += load_hist[i]) > rank) return bucket_value(i) / 1000.0;
  }
  return bucket_value(BUCKETS - 1) / 1000.0;
}

/* The age of the oldest message still out, ms: a stalled connection shows here long before the end. */
static uint64_t oldest_ms(void) {
  uint64_t now = clock_ns(), oldest = 0;
  for (int i = 0; i < next_conn && n_inflight > 0; i++) {
    const conn_t *c = &conns[i];
    if (c->state != S_UP || c->sent == c->recvd) continue;
    uint64_t age = now - c->ts[c->recvd % (uint64_t)opt.depth];
    if (age > oldest) oldest = age;
  }
  return oldest / 1000000ull;
}

static void stat_line(void) {
  unsigned long long v[] = {ms_since(t0), n_up, n_est, n_failed, n_dropped, n_sent, n_ok, n_late, n_lost, n_bad,
                            n_eof, n_rst, n_inflight, oldest_ms(), stat_n, stat_sum, stat_max};
  printf("stat t=%llu up=%llu est=%llu failed=%llu dropped=%llu sent=%llu ok=%llu late=%llu lost=%llu bad=%llu "
         "eof=%llu rst=%llu inflight=%llu oldest=%llu n=%llu sum=%llu max=%llu h=",
         v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15], v[16]);
  bool first = true;
  for (unsigned i = 0; i < BUCKETS; i++) {
    if (stat_hist[i] == 0) continue;
    printf("%s%u:%llu", first ? "" : ",", i, (unsigned long long)stat_hist[i]);
    first = false;
    stat_hist[i] = 0;
  }
  putchar('\n');
  stat_n = stat_sum = stat_max = 0;
}

/* An event line, after a stat line so the harness has every latency of the phase first. */
static void event_line(const char *name, uint64_t ms) {
  stat_line();
  printf("%s %llu\n", name, (unsigned long long)ms);
  fflush(stdout);
}

/* The messages in flight on a connection that will never come back (it died, or we are closing). */
static void lose_inflight(conn_t *c) {
  uint64_t out = c->sent - c->recvd;
  n_inflight -= out, n_lost += out;
  if (c->in_sweep) c->in_sweep = 0, sweep_inflight--;
  c->recvd = c->sent;
}

static void kill_conn(conn_t *c, bool reset) {
  if (c->state == S_DEAD || c->state == S_FREE) return;
  if (c->state == S_CONNECTING || c->state == S_PRIMING) setting_up--, n_failed++;
  else n_up--, n_dropped++;
  *(reset ? &n_rst : &n_eof) += 1;
  lose_inflight(c);
  close(c->fd);
  c->fd = -1;
  c->state = S_DEAD;
}

static void set_out(conn_t *c, bool on) {
  if (c->out_armed == on) return;
  struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.u32 = (uint32_t)(c - conns)};
  if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0) fail("epoll_ctl mod");
  c->out_armed = on;
}

/* Messages allowed in flight: --depth during a load, else one. */
static uint64_t depth_of(const conn_t *c) { return loading && c->state == S_UP ? (uint64_t)opt.depth : 1; }

/* Writes what is due (the rest of a message, new ones up to `want` and the depth) as far as the socket takes. */
static void pump(conn_t *c) {
  while (c->state == S_PRIMING || c->state == S_UP) {
    if (c->send_off == opt.size) {
      if (c->sent >= c->want || c->sent - c->recvd >= depth_of(c)) break;
      c->ts[c->sent % (uint64_t)opt.depth] = clock_ns();
      c->sent++, n_sent++, n_inflight++;
      c->send_off = 0;
    }
    const uint8_t *p = msg_bytes(c, c->sent - 1) + c->send_off;
    ssize_t n = send(c->fd, p, opt.size - c->send_off, MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return set_out(c, true);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return kill_conn(c, true);
    c->send_off += (uint32_t)n;
  }
  if (c->state != S_DEAD) set_out(c, false);
}

static void message_done(conn_t *c, uint64_t now) {
  uint64_t ns = now - c->ts[c->recvd % (uint64_t)opt.depth];
  c->recvd++, c->recv_off = 0;
  n_inflight--, n_ok++;
  stat_hist[bucket_of(ns)]++, stat_n++, stat_sum += ns;
  if (ns > stat_max) stat_max = ns;
  if (measuring) load_hist[bucket_of(ns)]++, load_n++;
  if (c->in_sweep) c->in_sweep = 0, sweep_inflight--;
  if (c->state != S_PRIMING) return;
  c->state = S_UP, setting_up--, n_up++, n_est++;
  if (loading) c->want = UINT64_MAX; /* up while a load runs: it joins */
}

/* Verifies what came against the messages sent; anything else (or more) is a bad byte. */
static void consume(conn_t *c, const uint8_t *p, size_t n) {
  uint64_t now = clock_ns();
  while (n > 0) {
    /* Of the oldest message out, only what was written so far can come back. */
    size_t room = c->recvd + 1 < c->sent ? opt.size - c->recv_off
                  : c->recvd < c->sent   ? c->send_off - c->recv_off
                                         : 0;
    size_t take = n < room ? n : room;
    if (take == 0 || memcmp(p, msg_bytes(c, c->recvd) + c->recv_off, take) != 0) {
      n_bad++;
      return kill_conn(c, true);
    }
    c->recv_off += (uint32_t)take;
    p += take, n -= take;
    if (c->recv_off == opt.size) message_done(c, now);
  }
}

static void on_readable(conn_t *c) {
  for (int i = 0; i < 64 && c->state != S_DEAD; i++) {
    ssize_t n = recv(c->fd, rbuf, RBUF_LEN, 0);
    if (n > 0) consume(c, rbuf, (size_t)n);
    if (n > 0 && (size_t)n < RBUF_LEN) return; /* drained: skip the EAGAIN syscall */
    if (n > 0 || (n < 0 && errno == EINTR)) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    return kill_conn(c, n < 0); /* EOF or error: the server dropped us */
  }
}

static void start_connect(conn_t *c) {
  int one = 1;
  c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->fd < 0) fail("socket");
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  /* The port is picked at connect(), per destination, not reserved by bind(). */
  setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
  const struct sockaddr_in *src = &srcs[(c - conns) % (n_srcs ? n_srcs : 1)];
  if (n_srcs && bind(c->fd, (const struct sockaddr *)src, sizeof *src) < 0) fail("bind source address");
  c->state = S_CONNECTING;
  c->ts[0] = clock_ns(); /* for --setup-timeout */
  c->send_off = opt.size;
  c->out_armed = 1;
  setting_up++;
  struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.u32 = (uint32_t)(c - conns)};
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) fail("epoll_ctl add");
  if (connect(c->fd, (struct sockaddr *)&dst, sizeof dst) < 0 && errno != EINPROGRESS) kill_conn(c, true);
}

static void on_connected(conn_t *c) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) return kill_conn(c, true);
  c->state = S_PRIMING;
  c->want = 1;
  pump(c);
}

static void feed_setup(void) {
  while (next_conn < opt.conns && setting_up < opt.parallel) start_connect(&conns[next_conn++]);
  if (!up_reported && next_conn == opt.conns && setting_up == 0) {
    up_reported = true;
    event_line("up", ms_since(t0));
  }
}

/* Connections stuck in setup longer than --setup-timeout fail (checked once a second). */
static void expire_setups(void) {
  uint64_t limit = (uint64_t)(opt.setup_timeout * 1e9), now = clock_ns();
  for (int i = 0; i < next_conn && setting_up > 0; i++) {
    conn_t *c = &conns[i];
    if ((c->state == S_CONNECTING || c->state == S_PRIMING) && now - c->ts[0] > limit) kill_conn(c, true);
  }
}

/*
 * Keeps --window sweep messages in flight. A window, not all at once: a
 * message waiting in a socket holds about a page of TCP memory at each end,
 * and a million of them would pass net.ipv4.tcp_mem (then sends fail).
 */
static void pump_sweep(void) {
  while (sweeping && sweep_cursor < next_conn && sweep_inflight < (uint64_t)opt.window) {
    conn_t *c = &conns[sweep_cursor++];
    if (c->state != S_UP || c->sent > c->recvd) continue;
    c->in_sweep = 1, sweep_inflight++;
    c->want = c->sent + 1;
    pump(c);
  }
}

/* Beat k of connection i is due at beat_t0 + (k + i / conns) * period: evenly spread phases. */
static void pace_beats(void) {
  uint64_t due = (uint64_t)((double)(clock_ns() - beat_t0) / (double)beat_period_ns * (double)opt.conns);
  for (; beat_cursor < (due < beat_total ? due : beat_total); beat_cursor++) {
    conn_t *c = &conns[beat_cursor % (uint64_t)opt.conns];
    if (c->state != S_UP) continue; /* died: its beats are neither sent nor awaited */
    if (c->sent > c->recvd) {       /* the last one is still out: this one is late, skipped */
      n_late++;
      continue;
    }
    c->want = c->sent + 1;
    pump(c);
  }
}

/* A load's window opens after the warm-up and closes after the duration: CPU and latency over it. */
static void pace_load(uint64_t now) {
  if (!measuring && now >= load_warm_end) {
    measuring = true, load_start = now, load_n = 0;
    memset(load_hist, 0, sizeof load_hist);
    getrusage(RUSAGE_SELF, &load_ru);
    event_line("start", ms_since(t0)); /* the harness samples the server's CPU on this line */
  }
  if (now < load_end) return;
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  loading = measuring = false;
  for (int i = 0; i < next_conn; i++) conns[i].want = conns[i].sent;
  event_line("stop", ms_since(t0));
  double wall = (double)(now - load_start) / 1e9, rate = wall > 0 ? load_n / wall : 0;
#define SECS(tv) ((double)ru.tv.tv_sec - (double)load_ru.tv.tv_sec + ((double)ru.tv.tv_usec - (double)load_ru.tv.tv_usec) / 1e6)
  printf("load {\"messages\":%llu,\"msgsPerSec\":%.1f,\"mbPerSec\":%.3f,\"p50Us\":%.1f,\"p99Us\":%.1f,"
         "\"cpuUserS\":%.4f,\"cpuSysS\":%.4f,\"wallS\":%.4f,\"connected\":%llu,\"errors\":%llu}\n",
         (unsigned long long)load_n, rate, rate * opt.size / 1e6, load_percentile_us(0.5), load_percentile_us(0.99),
         SECS(ru_utime), SECS(ru_stime), wall, (unsigned long long)n_up,
         (unsigned long long)(n_failed + n_dropped + n_bad));
  fflush(stdout);
}

static int timeout_ms(uint64_t now, uint64_t next_stat) {
  uint64_t until = next_stat, load = measuring ? load_end : load_warm_end; /* next_stat > now */
  if (loading && load < until) until = load;
  if (beating && beat_cursor < beat_total) {
    uint64_t next = beat_t0 + (uint64_t)((double)(beat_cursor + 1) * (double)beat_period_ns / opt.conns);
    if (next < until) until = next;
  }
  return until <= now ? 0 : (int)((until - now) / 1000000ull) + 1; /* ≤ 1001 */
}

static void check_phases(void) {
  pump_sweep();
  if (sweeping && sweep_cursor >= next_conn && sweep_inflight == 0) {
    sweeping = false;
    event_line("sweep", ms_since(sweep_t0));
  }
  /* Done when every beat is scheduled and none is out (each was echoed, skipped as late, or lost). */
  if (beating && beat_cursor >= beat_total && n_inflight == 0) {
    beating = false;
    event_line("beaten", ms_since(beat_t0));
  }
}

static void close_all(void) {
  struct linger lg = {1, 0}; /* RST: no TIME_WAIT left on 19,990 source ports */
  for (int i = 0; i < next_conn; i++) {
    conn_t *c = &conns[i];
    if (c->state == S_DEAD || c->fd < 0) continue;
    lose_inflight(c);
    setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(c->fd);
    c->fd = -1;
  }
}

static void command(const char *line) {
  double a, b;
  uint64_t now = clock_ns();
  if (strcmp(line, "sweep") == 0) {
    sweeping = true, sweep_t0 = now, sweep_cursor = 0, sweep_inflight = 0;
    event_line("sweeping", ms_since(t0));
  } else if (sscanf(line, "beat %lf %lf", &a, &b) == 2 && a > 0 && b >= 1) {
    beating = true, beat_t0 = now, beat_cursor = 0;
    beat_period_ns = a < 1e-3 ? 1000000 : (uint64_t)(a * 1e9);
    beat_total = (uint64_t)b * (uint64_t)opt.conns;
    event_line("beating", ms_since(t0));
  } else if (sscanf(line, "load %lf %lf", &a, &b) == 2 && a >= 0 && b > 0) {
    loading = true, load_warm_end = now + (uint64_t)(a * 1e9), load_end = load_warm_end + (uint64_t)(b * 1e9);
    event_line("loading", ms_since(t0));
    for (int i = 0; i < next_conn; i++) {
      if (conns[i].state == S_UP) conns[i].want = UINT64_MAX, pump(&conns[i]);
    }
  } else {
    fprintf(stderr, "client %d: unknown command \"%s\"\n", opt.id, line);
  }
}

/* Returns false when told to close (or stdin ended). */
static bool on_stdin(void) {
  static char line[256];
  static size_t have;
  ssize_t n = read(0, line + have, sizeof line - 1 - have);
  if (n <= 0) return n < 0 && (errno == EAGAIN || errno == EINTR);
  have += (size_t)n;
  line[have] = 0;
  for (char *nl; (nl = strchr(line, '\n')) != NULL;) {
    *nl = 0;
    if (strcmp(line, "close") == 0) return false;
    command(line);
    size_t used = (size_t)(nl + 1 - line);
    memmove(line, nl + 1, have - used + 1);
    have -= used;
  }
  if (have == sizeof line - 1) have = 0; /* an overlong line: drop it */
  return true;
}

static void on_event(const struct epoll_event *ev) {
  conn_t *c = &conns[ev->data.u32];
  if (c->state == S_CONNECTING) return on_connected(c);
  if (c->state != S_PRIMING && c->state != S_UP) return;
  if (ev->events & (EPOLLIN | EPOLLERR | EPOLLHUP)) on_readable(c);
  pump(c);
}

static void report_done(bool by_deadline) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  stat_line();
  printf("done {\"id\":%d,\"conns\":%d,\"up\":%llu,\"est\":%llu,\"failed\":%llu,\"dropped\":%llu,\"sent\":%llu,"
         "\"ok\":%llu,\"late\":%llu,\"lost\":%llu,\"bad\":%llu,\"eof\":%llu,\"rst\":%llu,\"deadline\":%s,"
         "\"cpuUser\":%.3f,\"cpuSys\":%.3f,\"ms\":%llu}\n",
         opt.id, opt.conns, (unsigned long long)n_up, (unsigned long long)n_est, (unsigned long long)n_failed,
         (unsigned long long)n_dropped, (unsigned long long)n_sent, (unsigned long long)n_ok,
         (unsigned long long)n_late, (unsigned long long)n_lost, (unsigned long long)n_bad,
         (unsigned long long)n_eof, (unsigned long long)n_rst, by_deadline ? "true" : "false",
         (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
         (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6, (unsigned long long)ms_since(t0));
  fflush(stdout);
}

static void run(void) {
  struct epoll_event evs[EVENTS];
  uint64_t deadline = t0 + (uint64_t)(opt.deadline * 1e9), next_stat = t0 + SEC;
  for (;;) {
    uint64_t now = clock_ns();
    if (now >= deadline || signalled) break;
    if (now >= next_stat) {
      expire_setups();
      stat_line();
      fflush(stdout);
      /* Not `+= 1 s` only: after a stall of seconds (a loaded machine) next_stat would stay behind now,
       * and the unsigned wait would wrap into a negative timeout: an epoll_wait without end. */
      while (next_stat <= now) next_stat += SEC;
    }
    feed_setup();
    if (beating) pace_beats();
    if (loading) pace_load(now);
    check_phases();
    int n = epoll_wait(epfd, evs, EVENTS, timeout_ms(now, next_stat));
    if (n < 0 && errno != EINTR) fail("epoll_wait");
    for (int i = 0; i < n; i++) {
      if (evs[i].data.u32 != STDIN_KEY) on_event(&evs[i]);
      else if (!on_stdin()) return close_all(), report_done(false);
    }
  }
  close_all();
  report_done(true);
}

static void usage(void) {
  fputs("usage: client --port N [--host 127.0.0.1] [--src 127.x.y.z[,…]] [--conns N] [--size BYTES (1..65536)]\n"
        "         [--depth N (1..1024)] [--parallel N] [--window N] [--id N] [--deadline S] [--setup-timeout S]\n",
        stderr);
  exit(2);
}

static void parse_args(int argc, char **argv) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const char *k = argv[i], *v = argv[i + 1];
    if (!strcmp(k, "--host")) opt.host = v;
    else if (!strcmp(k, "--src")) opt.src = v;
    else if (!strcmp(k, "--port")) opt.port = atoi(v);
    else if (!strcmp(k, "--conns")) opt.conns = atoi(v);
    else if (!strcmp(k, "--parallel")) opt.parallel = atoi(v);
    else if (!strcmp(k, "--size")) opt.size = (uint32_t)strtoul(v, NULL, 10);
    else if (!strcmp(k, "--depth")) opt.depth = atoi(v);
    else if (!strcmp(k, "--id")) opt.id = atoi(v);
    else if (!strcmp(k, "--window")) opt.window = atoi(v);
    else if (!strcmp(k, "--deadline")) opt.deadline = atof(v);
    else if (!strcmp(k, "--setup-timeout")) opt.setup_timeout = atof(v);
    else usage();
  }
  if (argc % 2 == 0 || opt.port < 1 || opt.port > 65535 || opt.conns < 1 || opt.parallel < 1 || opt.window < 1) usage();
  if (opt.size < 1 || opt.size > MAX_SIZE || opt.depth < 1 || opt.depth > MAX_DEPTH) usage();
  if (!(opt.deadline > 0) || !(opt.setup_timeout > 0)) usage();
  dst = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)opt.port)};
  if (inet_pton(AF_INET, opt.host, &dst.sin_addr) != 1) usage();
  static char list[MAX_SRCS * 16];
  snprintf(list, sizeof list, "%s", opt.src ? opt.src : "");
  for (char *save = NULL, *a = strtok_r(list, ",", &save); a; a = strtok_r(NULL, ",", &save)) {
    if (n_srcs == MAX_SRCS) usage();
    srcs[n_srcs] = (struct sockaddr_in){.sin_family = AF_INET};
    if (inet_pton(AF_INET, a, &srcs[n_srcs++].sin_addr) != 1) usage();
  }
}

static void on_signal(int sig) {
  (void)sig;
  signalled = 1;
}

int main(int argc, char **argv) {
  parse_args(argc, argv);
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) rl.rlim_cur = rl.rlim_max, setrlimit(RLIMIT_NOFILE, &rl);
  struct sigaction sa = {.sa_handler = on_signal};
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  init_pattern();
  conns = calloc((size_t)opt.conns, sizeof *conns);
  uint64_t *ts = calloc((size_t)opt.conns * (size_t)opt.depth, sizeof *ts);
  if (!conns || !ts) fail("calloc");
  for (int i = 0; i < opt.conns; i++) conns[i].ts = ts + (size_t)i * (size_t)opt.depth, conns[i].fd = -1;
  epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) fail("epoll_create1");
  struct epoll_event ev = {.events = EPOLLIN, .data.u32 = STDIN_KEY};
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, 0, &ev) < 0) fail("stdin must be a pipe");
  t0 = clock_ns();
  run();
  return 0;
}
