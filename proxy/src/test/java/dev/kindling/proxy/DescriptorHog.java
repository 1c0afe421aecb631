package dev.kindling.proxy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The child process of {@link DescriptorExhaustionTest}: a proxy relaying to a loopback echo
 * (arguments: echo port, a closed port, maxConnections). On command ("exhaust N") it opens
 * /dev/null until the process is out of file descriptors, then closes N of them; each such command
 * first closes what earlier ones opened. It prints "PORT p" when listening and "EXHAUSTED n" with
 * the number it opened; "diagnose" prints its threads, then "DIAGNOSED" with its open descriptors.
 * Its own process, so the test JVM never runs out of descriptors.
 */
public final class DescriptorHog {
  private DescriptorHog() {}

  /** Opens /dev/null until the process is out of descriptors; returns how many it opened. */
  private static int fill(Deque<FileChannel> hogged) throws IOException {
    int opened = 0;
    try {
      while (true) {
        hogged.push(FileChannel.open(Path.of("/dev/null")));
        opened++;
      }
    } catch (IOException e) {
      if (!DescriptorExhaustion.causedBy(e)) {
        throw e;
      }
    }
    return opened;
  }

  /**
   * Waits for sockets of earlier connections to finish closing, so that exactly the free
   * descriptors asked for are left.
   */
  private static void awaitSteadyDescriptors() throws Exception {
    long last = -1;
    int steady = 0;
    for (int i = 0; i < 100 && steady < 5; i++) {
      long count;
      try (var fds = Files.list(Path.of("/proc/self/fd"))) {
        count = fds.count();
      }
      steady = count == last ? steady + 1 : 0;
      last = count;
      Thread.sleep(100);
    }
  }

  public static void main(String[] args) throws Exception {
    // Which connections were relayed shows in a failing test's output.
    ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("dev.kindling.proxy"))
        .setLevel(ch.qos.logback.classic.Level.DEBUG);
    int echoPort = Integer.parseInt(args[0]);
    int closedPort = Integer.parseInt(args[1]);
    int maxConnections = Integer.parseInt(args[2]);
    // Sessions named "unreachable-..." route to a closed port, so the test can warm up the failure
    // path.
    RouteResolver routes =
        sessionId ->
            new RouteResolver.Resolution.Found(
                new Route(
                    sessionId,
                    ProxyFixture.VM,
                    new LoopbackUpstream(
                        sessionId.startsWith("unreachable") ? closedPort : echoPort,
                        EchoUpstream.PATH)));
    ProxyConfig config =
        ProxyConfig.builder()
            .port(0)
            .tokenKey(ProxyFixture.KEY)
            .allowLoopbackUpstreams(true)
            .maxConnections(maxConnections)
            .sessionConnectionLimit(1000)
            .upstreamConnectTimeout(Duration.ofSeconds(5))
            .noVncDir(Path.of("/nonexistent"))
            .build();
    Deque<FileChannel> hogged = new ArrayDeque<>();
    try (ProxyServer proxy =
        ProxyServer.start(
            config, routes, vmId -> Optional.of(ProxyFixture.PASSWORD), SessionActivity.NONE)) {
      System.out.println("PORT " + proxy.port());
      BufferedReader commands =
          new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      String line;
      while ((line = commands.readLine()) != null && !line.equals("quit")) {
        if (line.equals("diagnose")) {
          diagnose(hogged);
        }
        if (line.startsWith("exhaust ")) {
          int leaveFree = Integer.parseInt(line.substring("exhaust ".length()));
          // Classes load from directories here (an open file each): load this one while that is
          // possible.
          DescriptorExhaustion.causedBy(new IOException());
          // Each command starts again from what the proxy holds now.
          closeAll(hogged);
          awaitSteadyDescriptors();
          // Another thread may hold a descriptor for a moment while this one fills the table: fill
          // again until a pass after a pause finds nothing left.
          while (fill(hogged) > 0) {
            Thread.sleep(200);
          }
          for (int i = 0; i < leaveFree; i++) {
            hogged.pop().close();
          }
          System.out.println("EXHAUSTED " + hogged.size());
        }
      }
    } finally {
      closeAll(hogged);
    }
  }

  /** Prints every thread's stack and what the open descriptors are, freeing one to list them. */
  private static void diagnose(Deque<FileChannel> hogged) throws IOException {
    StringBuilder out = new StringBuilder("threads:\n");
    Thread.getAllStackTraces()
        .forEach(
            (thread, stack) -> {
              out.append(thread.getName()).append(' ').append(thread.getState()).append('\n');
              for (StackTraceElement frame : stack) {
                out.append("    ").append(frame).append('\n');
              }
            });
    if (!hogged.isEmpty()) {
      hogged.pop().close();
    }
    Map<String, Integer> kinds = new TreeMap<>();
    try (var fds = Files.list(Path.of("/proc/self/fd"))) {
      fds.forEach(
          fd -> {
            String target;
            try {
              target = Files.readSymbolicLink(fd).toString().replaceAll("\\[\\d+]", "[]");
            } catch (IOException e) {
              target = "unreadable";
            }
            kinds.merge(target, 1, Integer::sum);
          });
    }
    System.out.println(out);
    System.out.println("DIAGNOSED open descriptors by kind: " + kinds);
  }

  private static void closeAll(Deque<FileChannel> hogged) throws IOException {
    while (!hogged.isEmpty()) {
      hogged.pop().close();
    }
  }
}
