/**
 * The one table of libc symbols this package binds, with each C signature
 * commented per parameter.
 *
 * Type choices, and why:
 * - `size_t` / `ssize_t` / `socklen_t` / `nfds_t` are declared `u32` / `i32`.
 *   A 64-bit parameter given a JS number falls off V8's fast-call path
 *   (~130 ns a call, and it deoptimises the calling loop), and BigInt would
 *   allocate. On x86_64 and aarch64 a 32-bit value is passed in a 64-bit
 *   register whose upper half the caller zeroes (`mov r32` / `w` registers
 *   zero-extend), so this is ABI-safe for lengths below 2^31, which the
 *   wrappers in `calls.ts` enforce. An `ssize_t` result read as `i32` keeps
 *   its low half: exact for results in (-2^31, 2^31), including -1.
 * - Buffers are `"buffer"` (a TypedArray passed straight through), never
 *   `"pointer"`: `Deno.UnsafePointer.of()` costs ~0.5 µs a call.
 * - `fcntl` is variadic; its third argument is declared as a plain `int`,
 *   which is how both ABIs pass a variadic int.
 *
 * @module
 */

/** The libc symbols bound by {@linkcode libc}, typed for `Deno.dlopen`. */
export const symbols = {
  // int *__errno_location(void): the calling thread's errno.
  __errno_location: { parameters: [], result: "pointer" },
  // char *strerror(int errnum)
  strerror: { parameters: ["i32"], result: "pointer" },
  // Copies out of libc memory when pointer views are not allowed (a scoped
  // --allow-ffi): void *memcpy(void *dest, const void *src, size_t n)
  memcpy: { parameters: ["buffer", "pointer", "u32"], result: "pointer" },
  // char *strncpy(char *dest, const char *src, size_t n)
  strncpy: { parameters: ["buffer", "pointer", "u32"], result: "pointer" },

  // int epoll_create1(int flags)
  epoll_create1: { parameters: ["i32"], result: "i32" },
  epoll_ctl: {
    parameters: [
      "i32", // int epfd
      "i32", // int op
      "i32", // int fd
      "buffer", // struct epoll_event *event (NULL allowed for EPOLL_CTL_DEL)
    ],
    result: "i32",
  },
  epoll_wait: {
    parameters: [
      "i32", // int epfd
      "buffer", // struct epoll_event *events
      "i32", // int maxevents
      "i32", // int timeout (ms; -1 = forever, 0 = poll)
    ],
    result: "i32",
  },
  // The same call on a Deno blocking-pool thread, for the poll worker.
  // errno is thread-local and cannot be read after it: see reactor/.
  epoll_wait_nonblocking: {
    name: "epoll_wait",
    parameters: ["i32", "buffer", "i32", "i32"],
    result: "i32",
    nonblocking: true,
  },
  epoll_pwait2: {
    parameters: [
      "i32", // int epfd
      "buffer", // struct epoll_event *events
      "i32", // int maxevents
      "buffer", // const struct timespec *timeout (ns resolution)
      "pointer", // const sigset_t *sigmask (NULL)
    ],
    result: "i32",
  },

  read: {
    parameters: [
      "i32", // int fd
      "buffer", // void *buf
      "u32", // size_t count (< 2^31, see above)
    ],
    result: "i32", // ssize_t
  },
  write: {
    parameters: [
      "i32", // int fd
      "buffer", // const void *buf
      "u32", // size_t count
    ],
    result: "i32", // ssize_t
  },
  recv: {
    parameters: [
      "i32", // int sockfd
      "buffer", // void *buf
      "u32", // size_t len
      "i32", // int flags
    ],
    result: "i32", // ssize_t
  },
  send: {
    parameters: [
      "i32", // int sockfd
      "buffer", // const void *buf
      "u32", // size_t len
      "i32", // int flags (MSG_NOSIGNAL: EPIPE instead of SIGPIPE)
    ],
    result: "i32", // ssize_t
  },
  recvfrom: {
    parameters: [
      "i32", // int sockfd
      "buffer", // void *buf
      "u32", // size_t len
      "i32", // int flags
      "buffer", // struct sockaddr *src_addr (NULL allowed)
      "buffer", // socklen_t *addrlen (NULL allowed)
    ],
    result: "i32", // ssize_t
  },
  sendto: {
    parameters: [
      "i32", // int sockfd
      "buffer", // const void *buf
      "u32", // size_t len
      "i32", // int flags
      "buffer", // const struct sockaddr *dest_addr
      "u32", // socklen_t addrlen
    ],
    result: "i32", // ssize_t
  },

  // int socket(int domain, int type, int protocol)
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  bind: {
    parameters: [
      "i32", // int sockfd
      "buffer", // const struct sockaddr *addr
      "u32", // socklen_t addrlen
    ],
    result: "i32",
  },
  // int listen(int sockfd, int backlog)
  listen: { parameters: ["i32", "i32"], result: "i32" },
  accept4: {
    parameters: [
      "i32", // int sockfd
      "buffer", // struct sockaddr *addr (NULL allowed)
      "buffer", // socklen_t *addrlen (NULL allowed)
      "i32", // int flags (SOCK_NONBLOCK | SOCK_CLOEXEC)
    ],
    result: "i32",
  },
  connect: {
    parameters: [
      "i32", // int sockfd
      "buffer", // const struct sockaddr *addr
      "u32", // socklen_t addrlen
    ],
    result: "i32",
  },
  setsockopt: {
    parameters: [
      "i32", // int sockfd
      "i32", // int level
      "i32", // int optname
      "buffer", // const void *optval
      "u32", // socklen_t optlen
    ],
    result: "i32",
  },
  getsockopt: {
    parameters: [
      "i32", // int sockfd
      "i32", // int level
      "i32", // int optname
      "buffer", // void *optval
      "buffer", // socklen_t *optlen
    ],
    result: "i32",
  },
  getsockname: {
    parameters: [
      "i32", // int sockfd
      "buffer", // struct sockaddr *addr
      "buffer", // socklen_t *addrlen
    ],
    result: "i32",
  },
  getpeername: {
    parameters: [
      "i32", // int sockfd
      "buffer", // struct sockaddr *addr
      "buffer", // socklen_t *addrlen
    ],
    result: "i32",
  },
  // int shutdown(int sockfd, int how)
  shutdown: { parameters: ["i32", "i32"], result: "i32" },
  // int close(int fd)
  close: { parameters: ["i32"], result: "i32" },
  // int eventfd(unsigned int initval, int flags)
  eventfd: { parameters: ["u32", "i32"], result: "i32" },
  // int fcntl(int fd, int cmd, ... /* int arg */)
  fcntl: { parameters: ["i32", "i32", "i32"], result: "i32" },
  pipe2: {
    parameters: [
      "buffer", // int pipefd[2]
      "i32", // int flags
    ],
    result: "i32",
  },
  socketpair: {
    parameters: [
      "i32", // int domain
      "i32", // int type
      "i32", // int protocol
      "buffer", // int sv[2]
    ],
    result: "i32",
  },
  // int timerfd_create(int clockid, int flags)
  timerfd_create: { parameters: ["i32", "i32"], result: "i32" },
  timerfd_settime: {
    parameters: [
      "i32", // int fd
      "i32", // int flags
      "buffer", // const struct itimerspec *new_value
      "buffer", // struct itimerspec *old_value (NULL allowed)
    ],
    result: "i32",
  },
  poll: {
    parameters: [
      "buffer", // struct pollfd *fds
      "u32", // nfds_t nfds
      "i32", // int timeout (ms)
    ],
    result: "i32",
  },
  select: {
    parameters: [
      "i32", // int nfds
      "buffer", // fd_set *readfds
      "buffer", // fd_set *writefds (NULL allowed)
      "buffer", // fd_set *exceptfds (NULL allowed)
      "buffer", // struct timeval *timeout
    ],
    result: "i32",
  },
  getrlimit: {
    parameters: [
      "i32", // int resource
      "buffer", // struct rlimit *rlim
    ],
    result: "i32",
  },
  setrlimit: {
    parameters: [
      "i32", // int resource
      "buffer", // const struct rlimit *rlim
    ],
    result: "i32",
  },
  unlink: {
    parameters: [
      "buffer", // const char *pathname (NUL-terminated)
    ],
    result: "i32",
  },
  // Name resolution runs on Deno's blocking pool: it may read files and ask
  // DNS servers (nsswitch), which can take seconds. Its result is a return
  // code, not errno, so losing the pool thread's errno loses nothing.
  getaddrinfo_nonblocking: {
    name: "getaddrinfo",
    parameters: [
      "buffer", // const char *node (NUL-terminated)
      "buffer", // const char *service (NUL-terminated, or NULL)
      "buffer", // const struct addrinfo *hints
      "buffer", // struct addrinfo **res (8 bytes, filled in)
    ],
    result: "i32", // 0 or an EAI_* code
    nonblocking: true,
  },
  // void freeaddrinfo(struct addrinfo *res): the list's address, as a number
  freeaddrinfo: { parameters: ["usize"], result: "void" },
  // const char *gai_strerror(int errcode)
  gai_strerror: { parameters: ["i32"], result: "pointer" },
  // Copies libc memory known only by its address (the addrinfo list):
  // void *memcpy(void *dest, const void *src, size_t n), src as a number, so
  // no pointer view (refused under a scoped --allow-ffi) is needed.
  memcpy_from: { name: "memcpy", parameters: ["buffer", "usize", "u32"], result: "pointer" },
} as const satisfies Deno.ForeignLibraryInterface;
