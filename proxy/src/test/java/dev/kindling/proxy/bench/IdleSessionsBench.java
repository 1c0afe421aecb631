package dev.kindling.proxy.bench;

import dev.kindling.proxy.ConnectionCapacity;
import dev.kindling.proxy.SessionTokens;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.eclipse.jetty.websocket.api.Session;

/**
 * The idle-connections part of the proxy benchmark. Every relayed connection is two sockets in a
 * proxy process, so one process holds at most {@link ConnectionCapacity#forOpenFileLimit} of them;
 * this starts as many proxy processes as the target needs on one port (SO_REUSEPORT, as {@code
 * proxy.reusePort=true} does), opens the target's idle connections through that port (each counts
 * once its RFB handshake is done), counts those still open 2 s later, and measures each process's
 * heap and PSS growth.
 *
 * <p>The load side (this JVM) and the echo backend (its own JVM) each hold one socket per
 * connection, within the same per-process limit.
 */
final class IdleSessionsBench {
  private static final int CONCURRENCY = 32;

  private IdleSessionsBench() {}

  /** What one run measured; arrays hold one entry per proxy process. */
  record Result(
      int target,
      long fdLimit,
      int perProcessCapacity,
      int processes,
      int opened,
      int stillOpen,
      String stoppedBecause,
      long[] connections,
      long[] heapGrowth,
      long[] pssGrowth,
      long[] openFiles,
      long clientOpenFiles,
      long echoOpenFiles,
      Instant started,
      String loadBefore,
      String loadAfter) {

    long heapPerConnection() {
      return Arrays.stream(heapGrowth).sum() / Math.max(1, stillOpen);
    }

    long pssPerConnection() {
      return Arrays.stream(pssGrowth).sum() / Math.max(1, stillOpen);
    }

    boolean met() {
      return stillOpen >= target;
    }

    /**
     * Each process's connections and open files, e.g. "5,032 (10,151 open files) + 4,968 (10,023
     * open files)".
     */
    String perProcess() {
      List<String> each = new ArrayList<>();
      for (int i = 0; i < processes; i++) {
        each.add(String.format(Locale.ROOT, "%,d (%,d open files)", connections[i], openFiles[i]));
      }
      return String.join(" + ", each);
    }
  }

  static Result run(
      ChildJvm echo,
      int echoPort,
      SessionTokens tokens,
      long fdLimit,
      int target,
      Duration timeLimit)
      throws Exception {
    Instant started = Instant.now();
    String loadBefore = ProxyBenchmark.loadAverage();
    int capacity = ConnectionCapacity.forOpenFileLimit(fdLimit);
    int processes = (target + capacity - 1) / capacity;
    // One socket per connection here and in the echo backend, plus this JVM's own files.
    int clientCapacity = (int) Math.max(0, fdLimit - 1000);
    int attempt = Math.min(target, clientCapacity);
    ProxyBenchmark.log(
        "idle: %d proxy processes on one port (each holds at most %d connections under the open-file limit %d); %d connections",
        processes, capacity, fdLimit, attempt);
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    List<ChildJvm> proxies = new ArrayList<>();
    try {
      for (int i = 0; i < processes; i++) {
        proxies.add(
            new ChildJvm(
                SharedPortProxy.class, Integer.toString(echoPort), Integer.toString(port)));
      }
      for (ChildJvm proxy : proxies) {
        if (proxy.port("port") != port) {
          throw new IllegalStateException("a proxy process did not bind the shared port " + port);
        }
        int max = proxy.port("maxConnections");
        if (max != capacity) {
          throw new IllegalStateException(
              "a proxy process derived " + max + " connections, this benchmark " + capacity);
        }
      }
      Thread.sleep(1000);
      long[] heapBefore = new long[processes];
      long[] pssBefore = new long[processes];
      for (int i = 0; i < processes; i++) {
        heapBefore[i] = proxies.get(i).heapAfterGc();
        pssBefore[i] = ChildJvm.pss(ProcessHandle.of(proxies.get(i).pid()).orElseThrow());
      }
      try (BenchClient client = new BenchClient()) {
        BenchClient.IdleResult opened =
            client.openIdle(
                i -> ProxyBenchmark.proxyUri(port, "idle-" + i, tokens),
                true,
                attempt,
                CONCURRENCY,
                timeLimit);
        Thread.sleep(2000);
        int stillOpen = (int) opened.sessions().stream().filter(Session::isOpen).count();
        long[] connections = new long[processes];
        long[] heapGrowth = new long[processes];
        long[] pssGrowth = new long[processes];
        long[] openFiles = new long[processes];
        for (int i = 0; i < processes; i++) {
          ChildJvm proxy = proxies.get(i);
          connections[i] = proxy.ask("connections");
          heapGrowth[i] = proxy.heapAfterGc() - heapBefore[i];
          pssGrowth[i] = ChildJvm.pss(ProcessHandle.of(proxy.pid()).orElseThrow()) - pssBefore[i];
          openFiles[i] = proxy.openFiles();
        }
        long clientFiles = new java.io.File("/proc/self/fd").list().length;
        Result result =
            new Result(
                target,
                fdLimit,
                capacity,
                processes,
                opened.opened(),
                stillOpen,
                opened.stoppedBecause(),
                connections,
                heapGrowth,
                pssGrowth,
                openFiles,
                clientFiles,
                echo.openFiles(),
                started,
                loadBefore,
                ProxyBenchmark.loadAverage());
        ProxyBenchmark.log(
            "idle: %d of %d still open (%s); per process %s; heap %s, PSS %s per connection",
            stillOpen,
            opened.opened(),
            opened.stoppedBecause(),
            result.perProcess(),
            ProxyBenchmark.kib(result.heapPerConnection()),
            ProxyBenchmark.kib(result.pssPerConnection()));
        return result;
      }
    } finally {
      for (ChildJvm proxy : proxies) {
        proxy.close();
      }
    }
  }
}
