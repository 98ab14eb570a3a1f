/*
 * client.c: the stress client of bench/stress/stress.ts. One process opens
 * --conns long-lived TCP connections from one source address, holds them, and
 * sends heartbeats on them when told to; every echoed byte is verified.
 *
 *   cc -O2 -Wall -Wextra -o bench/.build/stress_client bench/stress/client.c
 *   stress_client --port 7777 --conns 19000 --src 127.1.0.1,127.1.0.2,127.1.0.3,127.1.0.4 --id 0
 *
 * A process holds at most ~19,990 fds here (the hard RLIMIT_NOFILE is 20,000),
 * so the harness starts several and gives each its own source addresses
 * (--src A,B,…: loopback accepts any 127/8 address; bind() before connect),
 * used in turn. Each source address then has the ephemeral port range to
 * itself; a few thousand connections per address keep connect()'s search for
 * a free port short (it tries odd ports first: half the range; at 19,000 on
 * one address connect() slows from ~15,000/s to ~1,500/s).
 *
 * Setup: at most --parallel connections are being connected at once; a
 * connection counts as "up" once its first heartbeat (seq 0) came back
 * verified, i.e. the server accepted it and echoes on it. That bounds every
 * server's accept queue, so no SYN is dropped into a 1 s retransmit.
 *
 * Heartbeats: --size bytes that depend on (--id, connection, seq), so a byte
 * from another connection or an older beat never passes. At most one beat is
 * in flight per connection. Commands, one per line on stdin:
 *   sweep              one beat on every up connection, as fast as the server echoes, at most
 *                      --window in flight; "sweep MS" when all came back
 *   beat SECONDS COUNT COUNT paced beats per connection, one every SECONDS, phases spread
 *                      evenly over the interval; "beaten MS" when all came back
 *   close              close every connection (RST) and exit
 * EOF on stdin means close; so does --deadline (seconds since start, a hard bound).
 *
 * Output, stdout, one line each:
 *   stat t=MS up= est= failed= dropped= sent= ok= late= lost= bad= eof= rst= inflight= oldest=MS n= sum= max= h=IDX:COUNT,...
 *     once a second and before every event line; counters are cumulative, n/sum/max/h cover the
 *     echoes since the previous stat line (latency in µs; h is a log-linear histogram, see bucket_of).
 *   up MS            every connection is up or has failed
 *   sweeping MS / beating MS  a command was taken (MS since start)
 *   sweep MS / beaten MS
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

#define MAX_CONNS 19990
#define MAX_SRCS 64
#define MAX_MSG 1024
#define EVENTS 1024
#define STDIN_KEY UINT32_MAX
#define LAT_SUB_BITS 5 /* 32 sub-buckets per power of two: ~3% resolution */
#define LAT_SUB (1u << LAT_SUB_BITS)
#define LAT_BUCKETS (40u * LAT_SUB)

enum { S_FREE, S_CONNECTING, S_PRIMING, S_UP, S_DEAD };

/* 24 bytes per connection: a million of them over 51 processes is 24 MB. */
typedef struct {
  int32_t fd;
  uint8_t state;
  uint8_t in_sweep;   /* this connection's beat belongs to the running sweep */
  uint16_t recv_off;  /* bytes of the in-flight beat received so far */
  uint32_t seq;       /* the in-flight (or last) beat's number */
  uint32_t inflight;  /* 1 while a beat is out */
  uint64_t sent_ns;   /* when the in-flight beat (or the connect) started */
} conn_t;

static struct {
  const char *host, *src;
  int port, conns, parallel, size, id, window;
  double deadline, setup_timeout;
} opt = {"127.0.0.1", NULL, 0, 0, 64, 32, 0, 1000, 600, 60};

static conn_t *conns;
static int epfd;
static struct sockaddr_in dst, srcs[MAX_SRCS];
static int n_srcs;
static uint64_t t0;
static volatile sig_atomic_t signalled;

/* Cumulative counters (printed in every stat line). */
static uint64_t n_up, n_est, n_failed, n_dropped, n_sent, n_ok, n_late, n_lost, n_bad, n_eof, n_rst, n_inflight;
static int next_conn, setting_up;
static bool up_reported;
/* Latency since the last stat line. */
static uint64_t lat_hist[LAT_BUCKETS], lat_n, lat_sum, lat_max;
/* Phases. */
static uint64_t sweep_t0, sweep_inflight;
static int sweep_cursor;
static bool sweeping;
static uint64_t beat_t0, beat_period_ns, beat_total, beat_cursor;
static bool beating;

static uint64_t clock_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t ms_since(uint64_t t) { return (clock_ns() - t) / 1000000ull; }

static void fail(const char *what) {
  fprintf(stderr, "stress_client %d: %s: %s\n", opt.id, what, strerror(errno));
  exit(2);
}

/* The heartbeat bytes of (id, connection, seq): xorshift64* from a mixed seed. */
static void beat_bytes(int idx, uint32_t seq, uint8_t *out) {
  uint64_t x = ((uint64_t)(uint32_t)opt.id << 44) ^ ((uint64_t)(uint32_t)idx << 20) ^ seq;
  x = (x ^ 0x5851f42d4c957f2dull) * 0x9e3779b97f4a7c15ull + 1;
  for (int i = 0; i < opt.size; i++) {
    x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
    out[i] = (uint8_t)((x * 0x2545f4914f6cdd1dull) >> 56);
  }
}

/* Log-linear bucket of a latency in µs: exact below 64, then 32 per power of two. */
static unsigned bucket_of(uint64_t us) {
  if (us < 2 * LAT_SUB) return (unsigned)us;
  unsigned top = 63u - (unsigned)__builtin_clzll(us);
  unsigned shift = top - LAT_SUB_BITS;
  unsigned idx = (shift + 1) * LAT_SUB + (unsigned)((us >> shift) - LAT_SUB);
  return idx < LAT_BUCKETS ? idx : LAT_BUCKETS - 1;
}

/* The age of the oldest beat still out, ms: a stalled connection shows here long before the end. */
static uint64_t oldest_ms(void) {
  uint64_t now = clock_ns(), oldest = 0;
  for (int i = 0; i < next_conn && n_inflight > 0; i++) {
    const conn_t *c = &conns[i];
    if (c->inflight && c->state == S_UP && now - c->sent_ns > oldest) oldest = now - c->sent_ns;
  }
  return oldest / 1000000ull;
}

static void stat_line(void) {
  printf("stat t=%llu up=%llu est=%llu failed=%llu dropped=%llu sent=%llu ok=%llu late=%llu lost=%llu bad=%llu "
         "eof=%llu rst=%llu inflight=%llu oldest=%llu n=%llu sum=%llu max=%llu h=",
         (unsigned long long)ms_since(t0), (unsigned long long)n_up, (unsigned long long)n_est,
         (unsigned long long)n_failed, (unsigned long long)n_dropped, (unsigned long long)n_sent, (unsigned long long)n_ok,
         (unsigned long long)n_late, (unsigned long long)n_lost, (unsigned long long)n_bad,
         (unsigned long long)n_eof, (unsigned long long)n_rst, (unsigned long long)n_inflight,
         (unsigned long long)oldest_ms(), (unsigned long long)lat_n, (unsigned long long)lat_sum, (unsigned long long)lat_max);
  bool first = true;
  for (unsigned i = 0; i < LAT_BUCKETS; i++) {
    if (lat_hist[i] == 0) continue;
    printf("%s%u:%llu", first ? "" : ",", i, (unsigned long long)lat_hist[i]);
    first = false;
    lat_hist[i] = 0;
  }
  putchar('\n');
  lat_n = lat_sum = lat_max = 0;
}

/* An event line, after a stat line so the harness has every latency of the phase first. */
static void event_line(const char *name, uint64_t ms) {
  stat_line();
  printf("%s %llu\n", name, (unsigned long long)ms);
  fflush(stdout);
}

/* A beat that will never come back (its connection died, or we are closing). */
static void beat_gone(conn_t *c) {
  if (!c->inflight) return;
  c->inflight = 0;
  n_inflight--;
  n_lost++;
  if (c->in_sweep) c->in_sweep = 0, sweep_inflight--;
}

static void kill_conn(conn_t *c, bool reset) {
  if (c->state == S_DEAD || c->state == S_FREE) return;
  if (c->state == S_CONNECTING || c->state == S_PRIMING) setting_up--, n_failed++;
  else n_up--, n_dropped++;
  if (reset) n_rst++;
  else n_eof++;
  beat_gone(c);
  close(c->fd);
  c->fd = -1;
  c->state = S_DEAD;
}

static void send_beat(conn_t *c, uint32_t seq) {
  uint8_t msg[MAX_MSG];
  beat_bytes((int)(c - conns), seq, msg);
  c->seq = seq;
  c->recv_off = 0;
  c->sent_ns = clock_ns();
  /* One small beat in flight at most: it always fits the socket buffer, so a short send is an error. */
  ssize_t n = send(c->fd, msg, (size_t)opt.size, MSG_NOSIGNAL);
  c->inflight = 1;
  n_inflight++;
  n_sent++;
  if (n != opt.size) kill_conn(c, true);
}

static void beat_done(conn_t *c) {
  uint64_t us = (clock_ns() - c->sent_ns) / 1000ull;
  c->inflight = 0;
  n_inflight--;
  n_ok++;
  lat_hist[bucket_of(us)]++, lat_n++, lat_sum += us;
  if (us > lat_max) lat_max = us;
  if (c->state == S_PRIMING) {
    c->state = S_UP;
    setting_up--;
    n_up++;
    n_est++;
    return;
  }
  if (c->in_sweep) c->in_sweep = 0, sweep_inflight--;
}

/* Verifies what came against the in-flight beat; anything else is a bad byte. */
static void consume(conn_t *c, const uint8_t *p, size_t n) {
  uint8_t want[MAX_MSG];
  if (!c->inflight || c->recv_off + n > (size_t)opt.size) {
    n_bad++;
    kill_conn(c, true);
    return;
  }
  beat_bytes((int)(c - conns), c->seq, want);
  if (memcmp(p, want + c->recv_off, n) != 0) {
    n_bad++;
    kill_conn(c, true);
    return;
  }
  c->recv_off += (uint16_t)n;
  if (c->recv_off == opt.size) beat_done(c);
}

static void on_readable(conn_t *c) {
  uint8_t buf[2 * MAX_MSG];
  ssize_t n = recv(c->fd, buf, sizeof buf, 0);
  if (n > 0) consume(c, buf, (size_t)n);
  else if (n == 0) kill_conn(c, false);
  else if (errno != EAGAIN && errno != EINTR) kill_conn(c, true);
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
  c->sent_ns = clock_ns();
  setting_up++;
  struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = (uint32_t)(c - conns)};
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) fail("epoll_ctl add");
  if (connect(c->fd, (struct sockaddr *)&dst, sizeof dst) < 0 && errno != EINPROGRESS) kill_conn(c, true);
}

static void on_connected(conn_t *c) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) {
    kill_conn(c, true);
    return;
  }
  struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)(c - conns)};
  if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0) fail("epoll_ctl mod");
  c->state = S_PRIMING;
  send_beat(c, 0);
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
    if ((c->state == S_CONNECTING || c->state == S_PRIMING) && now - c->sent_ns > limit) kill_conn(c, true);
  }
}

/*
 * Keeps --window sweep beats in flight. A window, not all at once: a beat
 * waiting in a socket holds about a page of TCP memory at each end, and a
 * million of them would pass net.ipv4.tcp_mem (then sends fail).
 */
static void pump_sweep(void) {
  while (sweeping && sweep_cursor < next_conn && sweep_inflight < (uint64_t)opt.window) {
    conn_t *c = &conns[sweep_cursor++];
    if (c->state != S_UP || c->inflight) continue;
    c->in_sweep = 1;
    sweep_inflight++;
    send_beat(c, c->seq + 1);
  }
}

static void start_sweep(void) {
  sweeping = true;
  sweep_t0 = clock_ns();
  sweep_cursor = 0;
  sweep_inflight = 0;
  pump_sweep();
}

/* Beat k of connection i is due at beat_t0 + (k + i / conns) * period: evenly spread phases. */
static void pace_beats(void) {
  uint64_t elapsed = clock_ns() - beat_t0;
  uint64_t due = (uint64_t)((double)elapsed / (double)beat_period_ns * (double)opt.conns);
  if (due > beat_total) due = beat_total;
  for (; beat_cursor < due; beat_cursor++) {
    conn_t *c = &conns[beat_cursor % (uint64_t)opt.conns];
    if (c->state != S_UP) continue;  /* died: its beats are neither sent nor awaited */
    if (c->inflight) {               /* the last beat is still out: this one is late, skipped */
      n_late++;
      continue;
    }
    send_beat(c, c->seq + 1);
  }
}

static int pace_timeout_ms(void) {
  if (!beating || beat_cursor >= beat_total) return 1000;
  double next = (double)(beat_cursor + 1) * (double)beat_period_ns / (double)opt.conns;
  double wait_ns = next - (double)(clock_ns() - beat_t0);
  if (wait_ns <= 0) return 0;
  int ms = (int)(wait_ns / 1e6) + 1;
  return ms < 1000 ? ms : 1000;
}

static void start_beats(double seconds, long count) {
  beating = true;
  beat_t0 = clock_ns();
  beat_period_ns = (uint64_t)(seconds * 1e9);
  if (beat_period_ns < 1000000) beat_period_ns = 1000000;
  beat_total = (uint64_t)count * (uint64_t)opt.conns;
  beat_cursor = 0;
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
    beat_gone(c);
    setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(c->fd);
    c->fd = -1;
  }
}

/* Returns false when told to close (or stdin ended). */
static bool on_command(void) {
  static char line[256];
  static size_t have;
  ssize_t n = read(0, line + have, sizeof line - 1 - have);
  if (n <= 0) return n < 0 && (errno == EAGAIN || errno == EINTR);
  have += (size_t)n;
  line[have] = 0;
  for (char *nl; (nl = strchr(line, '\n')) != NULL;) {
    *nl = 0;
    double seconds;
    long count;
    if (strcmp(line, "sweep") == 0) start_sweep(), event_line("sweeping", ms_since(t0));
    else if (sscanf(line, "beat %lf %ld", &seconds, &count) == 2 && seconds > 0 && count > 0) {
      start_beats(seconds, count);
      event_line("beating", ms_since(t0));
    }
    else if (strcmp(line, "close") == 0) return false;
    else fprintf(stderr, "stress_client %d: unknown command \"%s\"\n", opt.id, line);
    size_t used = (size_t)(nl + 1 - line);
    memmove(line, nl + 1, have - used + 1);
    have -= used;
  }
  if (have == sizeof line - 1) have = 0; /* an overlong line: drop it */
  return true;
}

static void on_event(const struct epoll_event *ev) {
  conn_t *c = &conns[ev->data.u32];
  if (c->state == S_CONNECTING) on_connected(c);
  else if (c->state == S_PRIMING || c->state == S_UP) on_readable(c);
}

static void report_done(bool by_deadline) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  stat_line();
  printf("done {\"id\":%d,\"conns\":%d,\"up\":%llu,\"est\":%llu,\"failed\":%llu,\"dropped\":%llu,\"sent\":%llu,\"ok\":%llu,\"late\":%llu,"
         "\"lost\":%llu,\"bad\":%llu,\"eof\":%llu,\"rst\":%llu,\"deadline\":%s,\"cpuUser\":%.3f,"
         "\"cpuSys\":%.3f,\"ms\":%llu}\n",
         opt.id, opt.conns, (unsigned long long)n_up, (unsigned long long)n_est, (unsigned long long)n_failed,
         (unsigned long long)n_dropped,
         (unsigned long long)n_sent, (unsigned long long)n_ok, (unsigned long long)n_late,
         (unsigned long long)n_lost, (unsigned long long)n_bad, (unsigned long long)n_eof,
         (unsigned long long)n_rst, by_deadline ? "true" : "false",
         (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
         (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6, (unsigned long long)ms_since(t0));
  fflush(stdout);
}

static void run(void) {
  struct epoll_event evs[EVENTS];
  uint64_t deadline = t0 + (uint64_t)(opt.deadline * 1e9), next_stat = t0 + 1000000000ull;
  for (;;) {
    uint64_t now = clock_ns();
    if (now >= deadline || signalled) break;
    if (now >= next_stat) {
      expire_setups();
      stat_line();
      fflush(stdout);
      /* Not `+= 1 s` only: after a stall of seconds (a loaded machine) next_stat would stay behind now,
       * and the unsigned wait below would wrap into a negative timeout: an epoll_wait without end. */
      while (next_stat <= now) next_stat += 1000000000ull;
    }
    feed_setup();
    if (beating) pace_beats();
    check_phases();
    int timeout = pace_timeout_ms();
    int until_stat = (int)((next_stat - now) / 1000000ull) + 1; /* next_stat > now: 1..1001 */
    int n = epoll_wait(epfd, evs, EVENTS, timeout < until_stat ? timeout : until_stat);
    if (n < 0 && errno != EINTR) fail("epoll_wait");
    for (int i = 0; i < n; i++) {
      if (evs[i].data.u32 != STDIN_KEY) on_event(&evs[i]);
      else if (!on_command()) return close_all(), report_done(false);
    }
  }
  close_all();
  report_done(true);
}

static void usage(void) {
  fputs("usage: stress_client --port N [--host 127.0.0.1] [--src 127.x.y.z[,…]] [--conns N (<= 19990)]\n"
        "         [--parallel N] [--window N] [--size BYTES (16..1024)] [--id N] [--deadline S]\n"
        "         [--setup-timeout S]\n",
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
    else if (!strcmp(k, "--size")) opt.size = atoi(v);
    else if (!strcmp(k, "--id")) opt.id = atoi(v);
    else if (!strcmp(k, "--window")) opt.window = atoi(v);
    else if (!strcmp(k, "--deadline")) opt.deadline = atof(v);
    else if (!strcmp(k, "--setup-timeout")) opt.setup_timeout = atof(v);
    else usage();
  }
  if (argc % 2 == 0 || opt.port < 1 || opt.port > 65535 || opt.conns < 1 || opt.conns > MAX_CONNS) usage();
  if (opt.parallel < 1 || opt.window < 1 || opt.size < 16 || opt.size > MAX_MSG || !(opt.deadline > 0) || !(opt.setup_timeout > 0)) usage();
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
  conns = calloc((size_t)opt.conns, sizeof *conns);
  if (!conns) fail("calloc");
  epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) fail("epoll_create1");
  struct epoll_event ev = {.events = EPOLLIN, .data.u32 = STDIN_KEY};
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, 0, &ev) < 0) fail("stdin must be a pipe");
  t0 = clock_ns();
  run();
  return 0;
}
