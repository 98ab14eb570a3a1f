/*
 * loadgen.c — single-threaded epoll echo load generator for bench/echo.ts.
 *
 *   cc -O2 -Wall -Wextra -o bench/.build/loadgen bench/loadgen.c
 *
 *   loadgen --host 127.0.0.1 --port 9000 --conns 100 --size 64 --depth 1 \
 *           --duration 2 --warmup 0.5
 *   loadgen --host ::1 --port 9000 --conns 10000 --idle
 *
 * Every connection first does one verified round trip ("priming"), so a
 * connection only counts as established once the server has accepted it and
 * echoed; at most SETUP_PARALLEL connections are being set up at once, which
 * keeps the server's accept queue short (no SYN drops and 1 s retransmits).
 *
 * Payloads are slices of one pseudo-random pattern buffer at a per-message
 * pseudo-random offset, so generating and verifying a message is a memcpy /
 * memcmp and no allocation happens per message. Every echoed byte is checked.
 *
 * Timeline on stderr (for the harness to sample server CPU at the right time):
 *   "start" when warm-up ends (measured window begins), "stop" when it ends.
 * Result: one JSON line on stdout with the measured window's numbers.
 * --idle: prints "ready N" on stdout once N connections are primed, holds them
 * until stdin reaches EOF or SIGTERM/SIGINT, then prints one JSON line.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
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

#define PAT_LEN (1u << 20)          /* pattern period; offsets are drawn below this */
#define MAX_SIZE (1u << 20)         /* largest --size accepted */
#define MAX_DEPTH 1024u             /* largest --depth accepted */
#define RBUF_LEN (256u * 1024u)     /* one shared receive buffer */
#define SETUP_PARALLEL 128          /* connections being connected+primed at once */
#define SETUP_TIMEOUT_NS (30ull * 1000000000ull)
#define IDLE_MAX_NS (600ull * 1000000000ull) /* safety bound for --idle */
#define STDIN_TAG UINT64_MAX
#define MAX_EVENTS 512

/* Log-linear histogram in ns: 64 linear sub-buckets per power of two (~1.6%). */
#define SUB_BITS 6
#define SUB (1u << SUB_BITS)
#define HIST_LEN (64u * SUB)

enum state { ST_IDLE, ST_CONNECTING, ST_PRIMING, ST_READY, ST_DEAD };

typedef struct {
    int fd;
    uint8_t state;
    bool out_armed; /* EPOLLOUT currently in the interest set */
    bool bad;       /* current incoming message had a mismatching byte */
    uint32_t send_off, recv_off;
    uint64_t sent, recvd; /* messages started / fully received */
    uint64_t *ts;         /* send time of in-flight messages, ring of `depth` */
} conn_t;

typedef struct {
    const char *host;
    int port, conns, depth;
    uint32_t size;
    double duration, warmup;
    bool idle;
} opts_t;

static opts_t opt = {"127.0.0.1", 0, 1, 1, 64, 5.0, 1.0, false};
static uint8_t *pat;
static uint8_t rbuf[RBUF_LEN];
static uint64_t hist[HIST_LEN];
static conn_t *conns;
static int epfd;
static struct sockaddr_storage addr;
static socklen_t addrlen;
static volatile sig_atomic_t stop_signal;
static bool measuring;
static bool loading; /* false during setup: ready connections stay quiet meanwhile */
static uint64_t messages, errors;
static int next_conn, setting_up, ready_conns;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *msg) {
    perror(msg);
    exit(2);
}

static uint64_t splitmix64(uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* Where message k of connection c starts in the pattern: deterministic. */
static const uint8_t *msg_bytes(int c, uint64_t k) {
    return pat + splitmix64(((uint64_t)c << 40) ^ k) % PAT_LEN;
}

static void init_pattern(void) {
    pat = malloc(PAT_LEN + MAX_SIZE);
    if (!pat) die("malloc");
    uint64_t s = 0x2545f4914f6cdd1dull;
    for (uint32_t i = 0; i < PAT_LEN + MAX_SIZE; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        pat[i] = (uint8_t)(s >> 24);
    }
}

static unsigned bucket_of(uint64_t v) {
    if (v < SUB) return (unsigned)v;
    unsigned shift = (unsigned)(63 - __builtin_clzll(v)) - SUB_BITS;
    unsigned idx = (shift + 1) * SUB + (unsigned)((v >> shift) - SUB);
    return idx < HIST_LEN ? idx : HIST_LEN - 1;
}

/* Midpoint of a bucket, in ns. */
static double bucket_value(unsigned idx) {
    if (idx < 2 * SUB) return idx;
    unsigned shift = idx / SUB - 1;
    uint64_t lo = (uint64_t)(idx % SUB + SUB) << shift;
    return (double)lo + (double)((1ull << shift) - 1) / 2.0;
}

static double percentile_us(double p) {
    if (messages == 0) return 0;
    uint64_t rank = (uint64_t)(p * (double)messages);
    if (rank >= messages) rank = messages - 1;
    uint64_t seen = 0;
    for (unsigned i = 0; i < HIST_LEN; i++) {
        seen += hist[i];
        if (seen > rank) return bucket_value(i) / 1000.0;
    }
    return bucket_value(HIST_LEN - 1) / 1000.0;
}

static void set_out(conn_t *c, bool on) {
    if (c->out_armed == on) return;
    struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.u64 = (uint64_t)(c - conns)};
    if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0) die("epoll_ctl mod");
    c->out_armed = on;
}

static void kill_conn(conn_t *c) {
    if (c->state == ST_DEAD) return;
    if (c->state == ST_CONNECTING || c->state == ST_PRIMING) setting_up--;
    if (c->state == ST_READY) ready_conns--;
    close(c->fd);
    c->state = ST_DEAD;
    errors++;
}

/* Messages allowed in flight: one while priming, --depth once the load runs. */
static uint64_t window_of(const conn_t *c) {
    return c->state == ST_PRIMING ? 1 : (loading ? (uint64_t)opt.depth : 0);
}

/* Writes as many messages as the depth window and the socket buffer allow. */
static void pump(conn_t *c) {
    int idx = (int)(c - conns);
    while (c->state != ST_DEAD && c->sent - c->recvd < window_of(c)) {
        const uint8_t *p = msg_bytes(idx, c->sent) + c->send_off;
        uint64_t t = c->send_off == 0 ? now_ns() : 0;
        ssize_t n = send(c->fd, p, opt.size - c->send_off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                set_out(c, true);
                return;
            }
            if (errno == EINTR) continue;
            kill_conn(c);
            return;
        }
        if (c->send_off == 0) c->ts[c->sent % (uint64_t)opt.depth] = t;
        c->send_off += (uint32_t)n;
        if (c->send_off == opt.size) c->send_off = 0, c->sent++;
    }
    set_out(c, false);
}

static void message_done(conn_t *c, uint64_t now) {
    if (c->bad) errors++;
    if (measuring) {
        uint64_t sent_at = c->ts[c->recvd % (uint64_t)opt.depth];
        hist[bucket_of(now - sent_at)]++;
        messages++;
    }
    c->recvd++;
    c->bad = false;
    c->recv_off = 0;
    if (c->state == ST_PRIMING) c->state = ST_READY, setting_up--, ready_conns++;
}

/* Verifies one received chunk against the expected stream of messages. */
static void consume(conn_t *c, const uint8_t *p, size_t n) {
    int idx = (int)(c - conns);
    uint64_t now = now_ns();
    while (n > 0) {
        if (c->recvd >= c->sent) { /* more bytes than we ever sent */
            kill_conn(c);
            return;
        }
        size_t take = opt.size - c->recv_off;
        if (take > n) take = n;
        if (memcmp(p, msg_bytes(idx, c->recvd) + c->recv_off, take) != 0) c->bad = true;
        c->recv_off += (uint32_t)take;
        p += take, n -= take;
        if (c->recv_off == opt.size) message_done(c, now);
    }
}

static void on_readable(conn_t *c) {
    for (int i = 0; i < 64 && c->state != ST_DEAD; i++) {
        ssize_t n = recv(c->fd, rbuf, RBUF_LEN, 0);
        if (n > 0) {
            consume(c, rbuf, (size_t)n);
            if ((size_t)n < RBUF_LEN) return; /* drained; skip the EAGAIN syscall */
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        if (n < 0 && errno == EINTR) continue;
        kill_conn(c); /* EOF or error: the server dropped us */
    }
}

static void start_connect(conn_t *c) {
    c->fd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) die("socket");
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->state = ST_CONNECTING;
    c->out_armed = true;
    setting_up++;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.u64 = (uint64_t)(c - conns)};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) die("epoll_ctl add");
    if (connect(c->fd, (struct sockaddr *)&addr, addrlen) < 0 && errno != EINPROGRESS) kill_conn(c);
}

static void on_connected(conn_t *c) {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) {
        kill_conn(c);
        return;
    }
    c->state = ST_PRIMING;
    pump(c);
}

static void on_event(const struct epoll_event *ev) {
    conn_t *c = &conns[ev->data.u64];
    if (c->state == ST_DEAD) return;
    if (c->state == ST_CONNECTING) {
        if (ev->events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) on_connected(c);
        return;
    }
    if (ev->events & (EPOLLIN | EPOLLERR | EPOLLHUP)) on_readable(c);
    if (c->state != ST_DEAD) pump(c);
}

/* Keeps up to SETUP_PARALLEL connections in the connect+prime pipeline. */
static void feed_setup(void) {
    while (next_conn < opt.conns && setting_up < SETUP_PARALLEL) start_connect(&conns[next_conn++]);
}

static bool wait_events(int timeout_ms, bool *stdin_eof) {
    struct epoll_event evs[MAX_EVENTS];
    int n = epoll_wait(epfd, evs, MAX_EVENTS, timeout_ms);
    if (n < 0) {
        if (errno == EINTR) return false;
        die("epoll_wait");
    }
    for (int i = 0; i < n; i++) {
        if (evs[i].data.u64 == STDIN_TAG) {
            ssize_t r = read(0, rbuf, RBUF_LEN);
            if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) *stdin_eof = true;
            continue;
        }
        on_event(&evs[i]);
    }
    return n > 0;
}

/* Connects and primes every connection; returns false if none made it. */
static bool setup(void) {
    uint64_t deadline = now_ns() + SETUP_TIMEOUT_NS;
    bool eof = false;
    feed_setup();
    while ((next_conn < opt.conns || setting_up > 0) && !stop_signal && now_ns() < deadline) {
        wait_events(50, &eof);
        feed_setup();
    }
    for (int i = 0; i < next_conn; i++) {
        if (conns[i].state == ST_CONNECTING || conns[i].state == ST_PRIMING) kill_conn(&conns[i]);
    }
    errors += (uint64_t)(opt.conns - next_conn); /* never attempted (timeout/signal) */
    return ready_conns > 0;
}

static double ru_secs(struct timeval tv) {
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static void report_load(double wall, double user_s, double sys_s) {
    double rate = wall > 0 ? (double)messages / wall : 0;
    printf("{\"messages\":%llu,\"msgs_per_sec\":%.1f,\"mb_per_sec\":%.3f,\"p50_us\":%.1f,\"p99_us\":%.1f,"
           "\"p999_us\":%.1f,\"errors\":%llu,\"cpu_user_s\":%.4f,\"cpu_sys_s\":%.4f,\"wall_s\":%.4f,"
           "\"conns\":%d,\"connected\":%d,\"size\":%u,\"depth\":%d}\n",
           (unsigned long long)messages, rate, rate * opt.size / 1e6, percentile_us(0.50),
           percentile_us(0.99), percentile_us(0.999), (unsigned long long)errors, user_s, sys_s, wall,
           opt.conns, ready_conns, opt.size, opt.depth);
}

static void report_idle(void) {
    printf("{\"conns\":%d,\"connected\":%d,\"errors\":%llu}\n", opt.conns, ready_conns,
           (unsigned long long)errors);
}

static void begin_window(uint64_t *start, struct rusage *ru0) {
    measuring = true;
    *start = now_ns();
    getrusage(RUSAGE_SELF, ru0);
    fputs("start\n", stderr); /* the harness samples server CPU on this line */
}

static void run_load(void) {
    loading = true;
    for (int i = 0; i < opt.conns; i++) {
        if (conns[i].state == ST_READY) pump(&conns[i]);
    }
    bool eof = false;
    uint64_t warm_end = now_ns() + (uint64_t)(opt.warmup * 1e9);
    uint64_t end = warm_end + (uint64_t)(opt.duration * 1e9);
    uint64_t start = 0;
    struct rusage ru0, ru1;
    for (uint64_t now = now_ns(); now < end && !stop_signal && ready_conns > 0; now = now_ns()) {
        if (!measuring && now >= warm_end) begin_window(&start, &ru0);
        uint64_t until = (measuring ? end : warm_end) - now;
        wait_events(until > 50000000ull ? 50 : (int)(until / 1000000ull) + 1, &eof);
    }
    if (!measuring) begin_window(&start, &ru0); /* ended early: empty window */
    uint64_t stop = now_ns();
    getrusage(RUSAGE_SELF, &ru1);
    fputs("stop\n", stderr);
    report_load((double)(stop - start) / 1e9, ru_secs(ru1.ru_utime) - ru_secs(ru0.ru_utime),
                ru_secs(ru1.ru_stime) - ru_secs(ru0.ru_stime));
}

static void run_idle(void) {
    printf("ready %d\n", ready_conns);
    fflush(stdout);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = STDIN_TAG};
    /* stdin may be a regular file or /dev/null (EPERM): then only signals end us. */
    bool watch_stdin = epoll_ctl(epfd, EPOLL_CTL_ADD, 0, &ev) == 0;
    bool eof = false;
    uint64_t deadline = now_ns() + IDLE_MAX_NS;
    while (!eof && !stop_signal && now_ns() < deadline) wait_events(watch_stdin ? 200 : 50, &eof);
    report_idle();
}

static void on_signal(int sig) {
    (void)sig;
    stop_signal = 1;
}

static void raise_nofile(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static void resolve(void) {
    struct sockaddr_in *a4 = (struct sockaddr_in *)&addr;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&addr;
    memset(&addr, 0, sizeof addr);
    if (inet_pton(AF_INET, opt.host, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET, a4->sin_port = htons((uint16_t)opt.port), addrlen = sizeof *a4;
    } else if (inet_pton(AF_INET6, opt.host, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6, a6->sin6_port = htons((uint16_t)opt.port), addrlen = sizeof *a6;
    } else {
        fprintf(stderr, "loadgen: --host must be a numeric IPv4/IPv6 address: %s\n", opt.host);
        exit(2);
    }
}

static void usage(void) {
    fputs("usage: loadgen --port N [--host 127.0.0.1|::1] [--conns N] [--size BYTES] [--depth N]\n"
          "               [--duration SEC] [--warmup SEC] [--idle]\n",
          stderr);
    exit(2);
}

static void parse_args(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--idle") == 0) {
            opt.idle = true;
            continue;
        }
        if (i + 1 >= argc) usage();
        const char *v = argv[++i];
        if (strcmp(a, "--host") == 0) opt.host = v;
        else if (strcmp(a, "--port") == 0) opt.port = atoi(v);
        else if (strcmp(a, "--conns") == 0) opt.conns = atoi(v);
        else if (strcmp(a, "--size") == 0) opt.size = (uint32_t)strtoul(v, NULL, 10);
        else if (strcmp(a, "--depth") == 0) opt.depth = atoi(v);
        else if (strcmp(a, "--duration") == 0) opt.duration = atof(v);
        else if (strcmp(a, "--warmup") == 0) opt.warmup = atof(v);
        else usage();
    }
    bool bad = opt.port <= 0 || opt.port > 65535 || opt.conns <= 0 || opt.size == 0 || opt.size > MAX_SIZE;
    if (bad || opt.depth <= 0 || (unsigned)opt.depth > MAX_DEPTH || opt.duration < 0 || opt.warmup < 0) usage();
}

int main(int argc, char **argv) {
    parse_args(argc, argv);
    resolve();
    raise_nofile();
    init_pattern();
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    conns = calloc((size_t)opt.conns, sizeof *conns);
    uint64_t *ts = calloc((size_t)opt.conns * (size_t)opt.depth, sizeof *ts);
    if (!conns || !ts) die("calloc");
    for (int i = 0; i < opt.conns; i++) conns[i].ts = ts + (size_t)i * (size_t)opt.depth, conns[i].fd = -1;
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0) die("epoll_create1");
    if (!setup()) {
        fprintf(stderr, "loadgen: no connection to %s:%d could be established\n", opt.host, opt.port);
        opt.idle ? report_idle() : report_load(0, 0, 0);
        return 1;
    }
    opt.idle ? run_idle() : run_load();
    return 0;
}
