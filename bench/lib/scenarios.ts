/** The load shapes of the echo benchmark. */
import type { Scenario } from "./types.ts";

export const SCENARIOS: Scenario[] = [
  // One connection, one message in flight: pure per-message latency and overhead.
  { name: "pingpong-1", conns: 1, size: 64, depth: 1, idle: false },
  // The main throughput/CPU comparison: enough connections to batch events per epoll_wait.
  { name: "pingpong-100", conns: 100, size: 64, depth: 1, idle: false },
  { name: "pingpong-1000", conns: 1000, size: 64, depth: 1, idle: false },
  // Bulk transfer: copies and buffer sizes dominate, reported in MB/s.
  { name: "stream-16k", conns: 10, size: 16 * 1024, depth: 4, idle: false },
  // Memory held per open, quiet connection.
  { name: "idle-10k", conns: 10_000, size: 64, depth: 1, idle: true },
];
