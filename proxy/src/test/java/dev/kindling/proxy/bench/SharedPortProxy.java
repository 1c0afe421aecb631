package dev.kindling.proxy.bench;

import dev.kindling.proxy.LoopbackUpstream;
import dev.kindling.proxy.ProxyConfig;
import dev.kindling.proxy.ProxyServer;
import dev.kindling.proxy.Route;
import dev.kindling.proxy.RouteResolver;
import dev.kindling.proxy.SessionActivity;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * One of several proxy processes listening on one port with SO_REUSEPORT, as several {@code
 * kindling proxy} processes with {@code proxy.reusePort=true} would; every session routes to the
 * loopback echo, authenticating with the benchmark's VNC password. Arguments: the echo's port, the
 * shared port. Prints "BENCH port p" and "BENCH maxConnections n", and answers "heap",
 * "connections" and "quit" on stdin.
 */
public final class SharedPortProxy {
  private SharedPortProxy() {}

  public static void main(String[] args) throws Exception {
    ProxyBenchmark.quietLogs();
    int echoPort = Integer.parseInt(args[0]);
    int port = Integer.parseInt(args[1]);
    RouteResolver routes =
        sessionId ->
            new RouteResolver.Resolution.Found(
                new Route(
                    sessionId, BenchRfb.VM_ID, new LoopbackUpstream(echoPort, EchoBackend.PATH)));
    ProxyConfig config =
        ProxyConfig.builder()
            .port(port)
            .reusePort(true)
            .tokenKey(ProxyBenchmark.KEY)
            .allowLoopbackUpstreams(true)
            .noVncDir(Path.of("/nonexistent"))
            .build();
    try (ProxyServer proxy =
        ProxyServer.start(config, routes, BenchRfb.passwords(), SessionActivity.NONE)) {
      System.out.println("BENCH port " + proxy.port());
      System.out.println("BENCH maxConnections " + proxy.maxConnections());
      BufferedReader commands =
          new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      String line;
      while ((line = commands.readLine()) != null && !line.equals("quit")) {
        switch (line) {
          case "heap" -> {
            for (int i = 0; i < 4; i++) {
              System.gc();
              Thread.sleep(200);
            }
            System.out.println(
                "BENCH heap " + ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
          }
          case "connections" -> System.out.println("BENCH connections " + proxy.connections());
          default -> System.out.println("BENCH unknown " + line);
        }
      }
    }
  }
}
