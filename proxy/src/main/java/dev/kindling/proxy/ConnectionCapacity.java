package dev.kindling.proxy;

import java.lang.management.ManagementFactory;

/**
 * How many relayed connections one proxy process can hold. Each is two sockets in the process
 * (browser side and VM side) and the process's open-file limit (RLIMIT_NOFILE) counts every one, so
 * a process allowed N open files holds fewer than N / 2 connections. Past that, accept() and
 * connect() would fail with EMFILE; the proxy refuses the connection after the last one it can hold
 * with {@link CloseOutcome#PROXY_FULL} instead, a reason the browser can show. To hold more
 * connections on one host, run more proxy processes on one port ({@link ProxyConfig#reusePort()}).
 *
 * <p>The reserve keeps descriptors for everything else in the process: the jars on the class path,
 * selectors, the Temporal client, page and metrics requests, refusals in flight.
 */
public final class ConnectionCapacity {
  /**
   * Descriptors kept for everything but relayed connections, at least; 5% of the limit when that is
   * more.
   */
  static final long MIN_RESERVE = 256;

  private ConnectionCapacity() {}

  /**
   * This process's open-file limit (the soft one, which the JVM raises to the hard one at start on
   * Linux).
   */
  public static long openFileLimit() {
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
      return unix.getMaxFileDescriptorCount();
    }
    return Long.MAX_VALUE;
  }

  /**
   * The connections a process with {@code openFileLimit} open files can hold, keeping the reserve.
   */
  public static int forOpenFileLimit(long openFileLimit) {
    long reserve = Math.max(MIN_RESERVE, openFileLimit / 20);
    return Math.clamp((openFileLimit - reserve) / 2, 1, Integer.MAX_VALUE);
  }

  /** {@code configured} when positive, else what this process's open-file limit allows. */
  static int resolve(int configured) {
    return configured > 0 ? configured : forOpenFileLimit(openFileLimit());
  }
}
