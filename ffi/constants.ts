/**
 * Linux constants, named as in the man pages. Values are the generic Linux
 * ABI shared by x86_64 and aarch64; every flag is a non-negative number
 * (EPOLLET is 2**31, never the negative `1 << 31`).
 *
 * Flags combined with `|` in JS become signed 32-bit (`EPOLLIN | EPOLLET` is
 * negative); every function here that takes flags normalises them with
 * `>>> 0`, and so should code comparing them: `(ev & EPOLLET) !== 0` is safe.
 *
 * @module
 */

// --- epoll_ctl(2) / epoll_wait(2) event bits ---
/** The fd is readable (or a listener has a connection to accept). */
export const EPOLLIN = 0x001;
/** Exceptional condition: TCP urgent data, a cgroup or sysfs notification. */
export const EPOLLPRI = 0x002;
/** The fd is writable. */
export const EPOLLOUT = 0x004;
/** Error on the fd; always reported, never needs requesting. */
export const EPOLLERR = 0x008;
/** Hang-up; always reported. Reads may still return buffered data. */
export const EPOLLHUP = 0x010;
/** Normal data readable (same as EPOLLIN for sockets). */
export const EPOLLRDNORM = 0x040;
/** Priority band data readable. */
export const EPOLLRDBAND = 0x080;
/** Normal data writable (same as EPOLLOUT for sockets). */
export const EPOLLWRNORM = 0x100;
/** Priority band data writable. */
export const EPOLLWRBAND = 0x200;
/** Unused by Linux; listed for completeness. */
export const EPOLLMSG = 0x400;
/** Stream peer shut down writing (half-close), or the connection closed. */
export const EPOLLRDHUP = 0x2000;
/** Wake one of several epoll instances waiting on the same fd (EPOLL_CTL_ADD only). */
export const EPOLLEXCLUSIVE = 0x10000000;
/** Hold a wakeup source while the event is pending (needs CAP_BLOCK_SUSPEND). */
export const EPOLLWAKEUP = 0x20000000;
/** Report once, then disable the fd until rearmed with EPOLL_CTL_MOD. */
export const EPOLLONESHOT = 0x40000000;
/** Edge-triggered: report transitions, not levels. Drain to EAGAIN after each event. */
export const EPOLLET = 0x80000000;

// --- epoll_ctl(2) ops, epoll_create1(2) flags ---
/** Register an fd. */
export const EPOLL_CTL_ADD = 1;
/** Deregister an fd. */
export const EPOLL_CTL_DEL = 2;
/** Change an fd's events and data. */
export const EPOLL_CTL_MOD = 3;
/** Close the epoll fd on exec. */
export const EPOLL_CLOEXEC = 0x80000;

// --- socket(2) ---
/** Unix domain sockets. */
export const AF_UNIX = 1;
/** IPv4. */
export const AF_INET = 2;
/** IPv6. */
export const AF_INET6 = 10;
/** Stream socket (TCP, or a Unix stream). */
export const SOCK_STREAM = 1;
/** Datagram socket (UDP, or a Unix datagram). */
export const SOCK_DGRAM = 2;
/** Sequenced-packet socket. */
export const SOCK_SEQPACKET = 5;
/** `type` flag for socket/accept4/socketpair: nonblocking from the start. */
export const SOCK_NONBLOCK = 0x800;
/** `type` flag for socket/accept4/socketpair: close on exec. */
export const SOCK_CLOEXEC = 0x80000;

// --- socket options ---
/** setsockopt level for socket-wide options. */
export const SOL_SOCKET = 1;
/** Socket type (read only). */
export const SO_TYPE = 3;
/** Allow binding a port in TIME_WAIT. */
export const SO_REUSEADDR = 2;
/** Pending socket error, cleared by reading it (async connect result). */
export const SO_ERROR = 4;
/** Send buffer size. */
export const SO_SNDBUF = 7;
/** Receive buffer size. */
export const SO_RCVBUF = 8;
/** TCP keep-alive probes. */
export const SO_KEEPALIVE = 9;
/** Linger on close (`struct linger`); `{1, 0}` makes close send RST. */
export const SO_LINGER = 13;
/** Several sockets may bind the same address; the kernel balances accepts. */
export const SO_REUSEPORT = 15;
/** setsockopt level for TCP. */
export const IPPROTO_TCP = 6;
/** setsockopt level for UDP. */
export const IPPROTO_UDP = 17;
/** setsockopt level for IPv6. */
export const IPPROTO_IPV6 = 41;
/** Disable Nagle's algorithm. */
export const TCP_NODELAY = 1;
/** Seconds a connection stays idle before the first keepalive probe (with SO_KEEPALIVE on). */
export const TCP_KEEPIDLE = 4;
/** Seconds between keepalive probes. */
export const TCP_KEEPINTVL = 5;
/** Unanswered keepalive probes before the connection is dropped (ETIMEDOUT). */
export const TCP_KEEPCNT = 6;
/** An AF_INET6 socket accepts IPv6 only. */
export const IPV6_V6ONLY = 26;

// --- getaddrinfo(3) ---
/** `ai_family` for "any": IPv6 and IPv4 results, in the order RFC 6724 sorts them. */
export const AF_UNSPEC = 0;

// --- shutdown(2) ---
/** Shut down reading. */
export const SHUT_RD = 0;
/** Shut down writing (half-close: the peer reads EOF). */
export const SHUT_WR = 1;
/** Shut down both directions. */
export const SHUT_RDWR = 2;

// --- send(2) / recv(2) flags ---
/** Peek at data without removing it. */
export const MSG_PEEK = 0x2;
/** Nonblocking for this call only. */
export const MSG_DONTWAIT = 0x40;
/** Return EPIPE instead of raising SIGPIPE on a broken stream. */
export const MSG_NOSIGNAL = 0x4000;

// --- fcntl(2), open flags ---
/** Get the fd flags (FD_CLOEXEC). */
export const F_GETFD = 1;
/** Set the fd flags. */
export const F_SETFD = 2;
/** Get the file status flags (O_NONBLOCK). */
export const F_GETFL = 3;
/** Set the file status flags. */
export const F_SETFL = 4;
/** fd flag: close on exec. */
export const FD_CLOEXEC = 1;
/** Status flag: nonblocking I/O. */
export const O_NONBLOCK = 0x800;
/** pipe2 flag: close on exec. */
export const O_CLOEXEC = 0x80000;

// --- eventfd(2), timerfd_create(2) ---
/** eventfd: reads return 1 and decrement, instead of the whole count. */
export const EFD_SEMAPHORE = 1;
/** eventfd: nonblocking. */
export const EFD_NONBLOCK = 0x800;
/** eventfd: close on exec. */
export const EFD_CLOEXEC = 0x80000;
/** timerfd: nonblocking. */
export const TFD_NONBLOCK = 0x800;
/** timerfd: close on exec. */
export const TFD_CLOEXEC = 0x80000;
/** timerfd_settime: the time is absolute. */
export const TFD_TIMER_ABSTIME = 1;
/** Wall-clock time. */
export const CLOCK_REALTIME = 0;
/** Monotonic time, unaffected by clock changes. */
export const CLOCK_MONOTONIC = 1;

// --- poll(2) ---
/** poll: readable. */
export const POLLIN = 0x001;
/** poll: urgent data. */
export const POLLPRI = 0x002;
/** poll: writable. */
export const POLLOUT = 0x004;
/** poll: error (output only). */
export const POLLERR = 0x008;
/** poll: hang-up (output only). */
export const POLLHUP = 0x010;
/** poll: fd not open (output only). */
export const POLLNVAL = 0x020;
/** select(2): the highest fd + 1 an fd_set can hold. */
export const FD_SETSIZE = 1024;

// --- getrlimit(2) ---
/** Resource: the maximum number of open fds. */
export const RLIMIT_NOFILE = 7;
