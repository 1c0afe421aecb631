package dev.kindling.proxy.bench;

import ch.qos.logback.classic.Level;
import dev.kindling.proxy.LoopbackUpstream;
import dev.kindling.proxy.ProxyConfig;
import dev.kindling.proxy.ProxyServer;
import dev.kindling.proxy.Route;
import dev.kindling.proxy.RouteResolver;
import dev.kindling.proxy.Scope;
import dev.kindling.proxy.SessionActivity;
import dev.kindling.proxy.SessionTokens;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.websocket.api.Session;
import org.slf4j.LoggerFactory;

/**
 * Runs the Kindling proxy and Debian's websockify side by side, relaying to the same loopback echo
 * backend, and writes the "Proxy" section of docs/BENCHMARKS.md. Not a test: speed is measured
 * here, never asserted in tests. Run it with {@code proxy/bench.sh}.
 *
 * <p>Measured: added round-trip latency (p50/p99) for 40-byte frames, echo throughput with
 * 65,520-byte frames (also through the proxy on a view link), heap and process memory per idle
 * connection, and how many idle connections each holds within a bounded count and time. Every
 * frame's payload is a run of RFB FramebufferUpdateRequests; through the proxy, each connection
 * first goes through the RFB handshakes the proxy plays (VNC authentication to the echo backend,
 * security None to the client). Everything stays on 127.0.0.1.
 */
public final class ProxyBenchmark {
  static final String SERVE_PROXY = "--serve-proxy";
  static final String SERVE_ECHO = "--serve-echo";
  static final byte[] KEY =
      "kindling-benchmark-key-not-a-secret-0123".getBytes(StandardCharsets.US_ASCII);

  /** Three FramebufferUpdateRequests. */
  private static final int SMALL = 40;

  /** Enough round trips for every JVM involved to finish compiling the paths measured. */
  private static final int LATENCY_WARMUP = 20_000;

  private static final int LATENCY_ROUNDS = 10_000;

  /** The most whole FramebufferUpdateRequests in 64 KiB. */
  private static final int FRAME = 65_520;

  private static final ByteBuffer REQUESTS = BenchRfb.updateRequests(FRAME);
  private static final ByteBuffer PASTES = BenchRfb.clipboard(FRAME);

  private static final int WINDOW = 16 * FRAME;
  private static final Duration WARMUP = Duration.ofSeconds(5);
  private static final Duration MEASURE = Duration.ofSeconds(2);
  private static final int THROUGHPUT_ROUNDS = 4;
  private static final int PROXY_IDLE_TARGET = 10_000;
  private static final int WEBSOCKIFY_IDLE_CAP = 1_000;
  private static final Duration IDLE_TIME_LIMIT = Duration.ofSeconds(180);

  private ProxyBenchmark() {}

  public static void main(String[] args) throws Throwable {
    if (args.length == 2 && args[0].equals(SERVE_PROXY)) {
      serveProxy(Integer.parseInt(args[1]));
      return;
    }
    if (args.length == 1 && args[0].equals(SERVE_ECHO)) {
      serveEcho();
      return;
    }
    quietLogs();
    long fdLimit = FileLimits.raise(65_536);
    log("open-file limit %d per process", fdLimit);
    Set<String> phases =
        Set.of(System.getProperty("bench.phases", "latency,throughput,idle").split(","));
    Instant started = Instant.now();
    Results r = new Results();
    r.loadBefore = loadAverage();
    try (ChildJvm echo = new ChildJvm(SERVE_ECHO)) {
      int wsEchoPort = echo.port("ws");
      int tcpEchoPort = echo.port("tcp");
      try (ChildJvm proxy = new ChildJvm(SERVE_PROXY, Integer.toString(wsEchoPort));
          Websockify websockify = new Websockify(tcpEchoPort)) {
        int proxyPort = proxy.port("port");
        r.websockifyVersion = websockify.version();
        SessionTokens tokens = new SessionTokens(KEY);
        URI direct = URI.create("ws://127.0.0.1:" + wsEchoPort + EchoBackend.PLAIN_PATH);
        URI viaWebsockify = URI.create("ws://127.0.0.1:" + websockify.port + "/");
        if (phases.contains("latency")) {
          log(
              "latency: %d round trips of %d bytes each way, in blocks that alternate between the relays",
              LATENCY_ROUNDS, SMALL);
          try (RawWebSocket toDirect = RawWebSocket.connect(direct, SMALL);
              RawWebSocket toProxy =
                  RawWebSocket.connectThroughProxy(proxyUri(proxyPort, "bench-0", tokens), SMALL);
              RawWebSocket toWebsockify = RawWebSocket.connect(viaWebsockify, SMALL);
              SocketChannel toTcp =
                  SocketChannel.open(new InetSocketAddress("127.0.0.1", tcpEchoPort))) {
            toTcp.setOption(StandardSocketOptions.TCP_NODELAY, true);
            int blocks = 10;
            int perBlock = LATENCY_ROUNDS / blocks;
            for (int b = 0; b < blocks; b++) {
              int warmup = b == 0 ? LATENCY_WARMUP : 100;
              r.directWs =
                  concat(r.directWs, RawWebSocket.roundTrips(toDirect, warmup, perBlock, SMALL));
              r.proxied =
                  concat(r.proxied, RawWebSocket.roundTrips(toProxy, warmup, perBlock, SMALL));
              r.directTcp = concat(r.directTcp, tcpRoundTrips(toTcp, warmup, perBlock, SMALL));
              r.websockified =
                  concat(
                      r.websockified,
                      RawWebSocket.roundTrips(toWebsockify, warmup, perBlock, SMALL));
            }
          }
          log(
              "added p50/p99: proxy %s / %s, websockify %s / %s",
              micros(added(r.proxied, r.directWs, 50)),
              micros(added(r.proxied, r.directWs, 99)),
              micros(added(r.websockified, r.directTcp, 50)),
              micros(added(r.websockified, r.directTcp, 99)));
        }
        if (phases.contains("throughput")) {
          log(
              "throughput: %d-byte frames, %d rounds of %d s alternating between the relays",
              FRAME, THROUGHPUT_ROUNDS, MEASURE.toSeconds());
          ProcessHandle proxyProcess = ProcessHandle.of(proxy.pid()).orElseThrow();
          try (RawWebSocket toDirect = RawWebSocket.connect(direct, FRAME);
              RawWebSocket toProxy =
                  RawWebSocket.connectThroughProxy(proxyUri(proxyPort, "bench-1", tokens), FRAME);
              RawWebSocket toProxyView =
                  RawWebSocket.connectThroughProxy(
                      proxyUri(proxyPort, "bench-2", tokens, Scope.VIEW), FRAME);
              RawWebSocket toProxyPastes =
                  RawWebSocket.connectThroughProxy(proxyUri(proxyPort, "bench-3", tokens), FRAME);
              RawWebSocket toWebsockify = RawWebSocket.connect(viaWebsockify, FRAME)) {
            for (int round = 0; round < THROUGHPUT_ROUNDS; round++) {
              Duration warmup = round == 0 ? WARMUP : Duration.ofMillis(300);
              r.directWsRate +=
                  RawWebSocket.throughput(toDirect, REQUESTS, FRAME, WINDOW, warmup, MEASURE)
                      / THROUGHPUT_ROUNDS;
              Relayed pastes = relayedThroughput(toProxyPastes, PASTES, proxyProcess, warmup);
              r.proxyPasteRate += pastes.rate() / THROUGHPUT_ROUNDS;
              r.proxyPasteCpuPerGib += pastes.cpuPerGib() / THROUGHPUT_ROUNDS;
              Relayed control = relayedThroughput(toProxy, REQUESTS, proxyProcess, warmup);
              r.proxyRate += control.rate() / THROUGHPUT_ROUNDS;
              r.proxyCpuPerGib += control.cpuPerGib() / THROUGHPUT_ROUNDS;
              Relayed view = relayedThroughput(toProxyView, REQUESTS, proxyProcess, warmup);
              r.proxyViewRate += view.rate() / THROUGHPUT_ROUNDS;
              r.proxyViewCpuPerGib += view.cpuPerGib() / THROUGHPUT_ROUNDS;
              r.directTcpRate +=
                  tcpThroughput(tcpEchoPort, FRAME, WINDOW, warmup, MEASURE) / THROUGHPUT_ROUNDS;
              Relayed websockified =
                  relayedThroughput(toWebsockify, REQUESTS, websockify.handle(), warmup);
              r.websockifyRate += websockified.rate() / THROUGHPUT_ROUNDS;
              r.websockifyCpuPerGib += websockified.cpuPerGib() / THROUGHPUT_ROUNDS;
            }
          }
          log(
              "throughput: proxy %s (%.2f CPU-s/GiB) with one clipboard message per frame, %s (%.2f CPU-s/GiB) with update requests, on a view link %s (%.2f CPU-s/GiB), websockify %s (%.2f CPU-s/GiB); straight to the backend %s (WebSocket), %s (TCP)",
              mib(r.proxyPasteRate),
              r.proxyPasteCpuPerGib,
              mib(r.proxyRate),
              r.proxyCpuPerGib,
              mib(r.proxyViewRate),
              r.proxyViewCpuPerGib,
              mib(r.websockifyRate),
              r.websockifyCpuPerGib,
              mib(r.directWsRate),
              mib(r.directTcpRate));
        }
        if (phases.contains("idle")) {
          r.proxyIdle =
              IdleSessionsBench.run(
                  echo, wsEchoPort, tokens, fdLimit, PROXY_IDLE_TARGET, IDLE_TIME_LIMIT);

          log("idle connections through websockify (cap %d)", WEBSOCKIFY_IDLE_CAP);
          long wsPssBefore = ChildJvm.pss(websockify.handle());
          try (BenchClient idleClient = new BenchClient()) {
            BenchClient.IdleResult opened =
                idleClient.openIdle(
                    i -> viaWebsockify, false, WEBSOCKIFY_IDLE_CAP, 8, IDLE_TIME_LIMIT);
            Thread.sleep(2000);
            r.websockifyIdle = (int) opened.sessions().stream().filter(Session::isOpen).count();
            r.websockifyIdleOpened = opened.opened();
            r.websockifyIdleWhy = opened.stoppedBecause();
            r.websockifyPssPerIdle =
                (ChildJvm.pss(websockify.handle()) - wsPssBefore) / Math.max(1, r.websockifyIdle);
          }
          log("websockify held %d idle connections (%s)", r.websockifyIdle, r.websockifyIdleWhy);
        }
      }
    }
    if (phases.size() < 3) {
      log("not every phase ran: docs/BENCHMARKS.md left alone");
      if (phases.contains("idle")) {
        System.out.println(r.idleRows(fdLimit) + "\n" + r.idleMethod(fdLimit));
      }
      return;
    }
    r.loadAfter = loadAverage();
    String report = r.markdown(started, fdLimit);
    writeSection(report);
    System.out.println(report);
  }

  /** What one run measured. */
  private static final class Results {
    String websockifyVersion;
    long[] directWs;
    long[] proxied;
    long[] directTcp;
    long[] websockified;
    double directWsRate;
    double proxyRate;
    double directTcpRate;
    double websockifyRate;
    double proxyCpuPerGib;
    double proxyViewRate;
    double proxyPasteRate;
    double proxyPasteCpuPerGib;
    double proxyViewCpuPerGib;
    double websockifyCpuPerGib;
    IdleSessionsBench.Result proxyIdle;
    int websockifyIdleOpened;
    int websockifyIdle;
    String websockifyIdleWhy;
    long websockifyPssPerIdle;

    String loadBefore;
    String loadAfter;

    /** The idle-connection rows of the table. */
    String idleRows(long fdLimit) {
      return new StringBuilder()
          .append(
              row(
                  "heap per idle connection",
                  kib(proxyIdle.heapPerConnection()) + " (growth summed over the proxy processes)",
                  "n/a (Python)",
                  "≤ 64 KiB"))
          .append(
              row(
                  "process memory (PSS) per idle connection",
                  kib(proxyIdle.pssPerConnection()) + " (summed over the proxy processes)",
                  kib(websockifyPssPerIdle) + " (a process per connection)",
                  ""))
          .append(
              row(
                  "idle connections still open 2 s after opening",
                  String.format(
                      Locale.ROOT,
                      "%,d of %,d opened (%s) through one port, %d proxy processes",
                      proxyIdle.stillOpen(),
                      proxyIdle.opened(),
                      proxyIdle.stoppedBecause(),
                      proxyIdle.processes()),
                  websockifyIdle
                      + " of "
                      + websockifyIdleOpened
                      + " opened ("
                      + websockifyIdleWhy
                      + ")",
                  "10,000"))
          .append(
              row(
                  "idle connections per proxy process",
                  proxyIdle.perProcess(),
                  "",
                  String.format(
                      Locale.ROOT,
                      "≤ %,d each (open-file limit %d)",
                      proxyIdle.perProcessCapacity(),
                      fdLimit)))
          .toString();
    }

    /** How the idle connections were measured. */
    String idleMethod(long fdLimit) {
      return new StringBuilder("Idle connections: opened 32 ")
          .append("(websockify: 8) at a time, capped in count and at ")
          .append(IDLE_TIME_LIMIT.toSeconds())
          .append(
              " s, counted still open 2 s later; one through the proxy counted as opened once its RFB handshakes were ")
          .append("done. Every connection through the proxy is two sockets in a proxy process ")
          .append("(browser side and VM side), and this host's per-process limit of ")
          .append(fdLimit)
          .append(" open files (a hard ")
          .append("limit: raising it needs CAP_SYS_RESOURCE) lets one process hold ")
          .append(String.format(Locale.ROOT, "%,d", proxyIdle.perProcessCapacity()))
          .append(
              " after a reserve for its other files: the proxy's default `proxy.maxConnections`, past which it refuses with ")
          .append("4513 (proxy full) before the kernel would refuse a socket. So ")
          .append(proxyIdle.processes())
          .append(
              " proxy processes (JVMs, -Xmx3g, G1) ran with `proxy.reusePort=true` on one port, the kernel spreading new ")
          .append(
              "connections across them, and every idle connection was opened through that port. Each process's heap was read ")
          .append(
              "after full collections before and after; heap and PSS growth are summed over the processes and divided by the ")
          .append("connections still open. The load side (the benchmark's JVM, ")
          .append(proxyIdle.clientOpenFiles())
          .append(" open files at the end) and the echo backend (its own JVM, ")
          .append(proxyIdle.echoOpenFiles())
          .append(
              ") hold one socket per connection each. websockify forks a process per connection, so its cap is lower. ")
          .append("The idle part ran at ")
          .append(proxyIdle.started().toString(), 0, 16)
          .append("Z, load average ")
          .append(proxyIdle.loadBefore())
          .append(" before and ")
          .append(proxyIdle.loadAfter())
          .append(" after.")
          .toString();
    }

    String markdown(Instant started, long fdLimit) {
      boolean throughputMet = proxyPasteRate >= 3 * websockifyRate;
      boolean p99Met = added(proxied, directWs, 99) <= added(websockified, directTcp, 99);
      boolean heapMet = proxyIdle.heapPerConnection() <= 64 * 1024;
      boolean idleMet = proxyIdle.met();
      return new StringBuilder()
          .append("## Proxy\n\n")
          .append("Kindling's WebSocket proxy (Jetty ")
          .append(org.eclipse.jetty.util.Jetty.VERSION)
          .append(", Java ")
          .append(Runtime.version().feature())
          .append(") against Debian's websockify (")
          .append(websockifyVersion)
          .append(
              "), in one run, both relaying to the same loopback echo backend process: a WebSocket echo for the proxy ")
          .append(
              "(what a VM's websockify is to it) and a TCP echo for websockify (what x11vnc is to websockify). Through ")
          .append(
              "the proxy, each connection first goes through the RFB handshakes the proxy plays: it authenticates to the ")
          .append(
              "echo backend, which plays the VNC server (RFB 3.8, VNC authentication), and offers the client security ")
          .append(
              "None; the client does noVNC's side. Those handshakes are done before anything is measured, and websockify's ")
          .append(
              "path and the paths straight to the backend have none. The proxy's rows are for control links unless they ")
          .append(
              "say view link. Added latency is the relay's round trip minus the round trip straight to its backend. Host: ")
          .append(Runtime.getRuntime().availableProcessors())
          .append(" CPUs shared with other work, open-file limit ")
          .append(fdLimit)
          .append(" per process; load average ")
          .append(loadBefore)
          .append(" before and ")
          .append(loadAfter)
          .append(" after; run ")
          .append(started.toString(), 0, 16)
          .append("Z.\n\n")
          .append("| | Kindling proxy | websockify | target |\n|---|---|---|---|\n")
          .append(
              row(
                  "added RTT p50, " + SMALL + " B frames",
                  micros(added(proxied, directWs, 50)),
                  micros(added(websockified, directTcp, 50)),
                  ""))
          .append(
              row(
                  "added RTT p99, " + SMALL + " B frames",
                  micros(added(proxied, directWs, 99)),
                  micros(added(websockified, directTcp, 99)),
                  "proxy ≤ websockify"))
          .append(
              row(
                  "RTT p50 / p99 through the relay",
                  micros(pct(proxied, 50)) + " / " + micros(pct(proxied, 99)),
                  micros(pct(websockified, 50)) + " / " + micros(pct(websockified, 99)),
                  ""))
          .append(
              row(
                  "RTT p50 / p99 straight to the backend",
                  micros(pct(directWs, 50)) + " / " + micros(pct(directWs, 99)) + " (WebSocket)",
                  micros(pct(directTcp, 50)) + " / " + micros(pct(directTcp, 99)) + " (TCP)",
                  ""))
          .append(
              row(
                  String.format(
                      Locale.ROOT, "echo throughput, %,d B frames of one clipboard message", FRAME),
                  mib(proxyPasteRate),
                  mib(websockifyRate) + " (frames of update requests; websockify reads no RFB)",
                  String.format(
                      Locale.ROOT,
                      "≥ 3× websockify (measured %.1f×)",
                      proxyPasteRate / websockifyRate)))
          .append(
              row(
                  "same, frames of back-to-back 10-byte update requests (the worst case for following RFB)",
                  mib(proxyRate)
                      + String.format(Locale.ROOT, " (%.1f×)", proxyRate / websockifyRate),
                  mib(websockifyRate),
                  ""))
          .append(
              row(
                  "same, view link (every byte the browser sends is parsed; requests pass)",
                  mib(proxyViewRate),
                  "n/a (no view links)",
                  ""))
          .append(
              row(
                  "relay CPU time per GiB echoed, clipboard messages",
                  String.format(Locale.ROOT, "%.2f s", proxyPasteCpuPerGib),
                  "",
                  ""))
          .append(
              row(
                  "same, update requests",
                  String.format(Locale.ROOT, "%.2f s", proxyCpuPerGib),
                  String.format(Locale.ROOT, "%.2f s", websockifyCpuPerGib),
                  ""))
          .append(
              row(
                  "same, view link",
                  String.format(Locale.ROOT, "%.2f s", proxyViewCpuPerGib),
                  "n/a (no view links)",
                  ""))
          .append(
              row(
                  "same, straight to the backend",
                  mib(directWsRate) + " (WebSocket)",
                  mib(directTcpRate) + " (TCP)",
                  ""))
          .append(idleRows(fdLimit))
          .append('\n')
          .append("Targets in this run: throughput ")
          .append(throughputMet ? "met" : "NOT met")
          .append("; p99 added latency ")
          .append(p99Met ? "met" : "NOT met")
          .append("; heap per idle connection ")
          .append(heapMet ? "met" : "NOT met")
          .append("; 10,000 idle connections ")
          .append(idleMet ? "met" : "NOT met")
          .append(
              ". The proxy relays WebSocket to WebSocket: it reads frame headers on both sides and passes payload bytes ")
          .append(
              "on untouched (a browser's frames keep the browser's mask on the way to the VM). It follows the browser's ")
          .append(
              "RFB messages on every link by unmasking only the few bytes that give each one's type and length; a control ")
          .append(
              "link passes the frames as they arrived, a view link passes each run of allowed messages as a binary frame ")
          .append("of its own. ")
          .append(
              "websockify unmasks and frames every byte in Python. On a host this loaded, latency tails and throughput ")
          .append("move a lot between runs; CPU time per GiB is the steadier comparison.\n\n")
          .append(
              "Load side: one minimal blocking WebSocket client, used alike for every path, masks what it sends eight bytes ")
          .append(
              "at a time as browsers do; the WebSocket and TCP echoes are minimal blocking loops (the WebSocket echo unmasks ")
          .append(
              "eight bytes at a time), so that neither the client nor a backend is slower than the relays they measure. ")
          .append(
              "On every path, websockify's and the TCP echo's included, each frame's payload is a run of RFB ")
          .append("FramebufferUpdateRequests (")
          .append(BenchRfb.REQUEST_BYTES)
          .append(
              " bytes each, incremental, for the whole 64×48 screen the echo backend announces; ")
          .append(SMALL / BenchRfb.REQUEST_BYTES)
          .append(
              " in a latency frame), as noVNC sends them, so that the proxy follows the messages of a real client; ")
          .append(
              "nothing answers them but the echo. The proxy's first throughput row sends one ClientCutText message ")
          .append(
              "(a clipboard paste) per frame instead: the proxy follows one message per frame there, as it does for ")
          .append(
              "the large messages that make up a session's volume, where back-to-back 10-byte requests are the most ")
          .append("messages per byte a client can send. Latency: ")
          .append(LATENCY_ROUNDS)
          .append(" sequential round trips per path after ")
          .append(LATENCY_WARMUP)
          .append(
              " warm-up ones (enough for the JVMs to finish compiling), in 10 blocks that alternate between the four paths ")
          .append(
              "so that load from elsewhere on the host falls on all of them alike. Throughput: one connection per path, ")
          .append(
              String.format(
                  Locale.ROOT,
                  "%,d-byte binary frames (%,d requests), ",
                  FRAME,
                  FRAME / BenchRfb.REQUEST_BYTES))
          .append("at most ")
          .append(WINDOW / 1024)
          .append(" KiB unanswered, ")
          .append(THROUGHPUT_ROUNDS)
          .append(" alternating rounds of ")
          .append(MEASURE.toSeconds())
          .append(" s (the first after ")
          .append(WARMUP.toSeconds())
          .append(
              " s of warm-up), the proxy's view link measured like its control link; MiB/s of payload ")
          .append("echoed (every byte crossed the relay twice); CPU time ")
          .append(
              "is the relay process's (for websockify, its per-connection child's) user plus system time. ")
          .append(idleMethod(fdLimit))
          .append("\n\n")
          .append("Reproduce: `proxy/bench.sh` (needs Debian's websockify; loopback only).\n")
          .toString();
    }
  }

  /** The echo backend's process: prints its two ports and serves until told to quit. */
  private static void serveEcho() throws Exception {
    quietLogs();
    try (EchoBackend backend = new EchoBackend()) {
      System.out.println("BENCH ws " + backend.webSocketPort());
      System.out.println("BENCH tcp " + backend.tcpPort());
      BufferedReader commands =
          new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      String line;
      while ((line = commands.readLine()) != null && !line.equals("quit")) {
        // Nothing else to do.
      }
    }
  }

  /** A control link to {@code sessionId}. */
  static URI proxyUri(int port, String sessionId, SessionTokens tokens) {
    return proxyUri(port, sessionId, tokens, Scope.CONTROL);
  }

  static URI proxyUri(int port, String sessionId, SessionTokens tokens, Scope scope) {
    return URI.create(
        "ws://127.0.0.1:"
            + port
            + "/sessions/"
            + sessionId
            + "/websockify?token="
            + tokens.mint(sessionId, Duration.ofHours(1), scope));
  }

  /**
   * The child-process side: a proxy whose every session routes to the loopback echo, authenticating
   * with the benchmark's VNC password.
   */
  private static void serveProxy(int echoPort) throws Exception {
    quietLogs();
    RouteResolver routes =
        sessionId ->
            new RouteResolver.Resolution.Found(
                new Route(
                    sessionId, BenchRfb.VM_ID, new LoopbackUpstream(echoPort, EchoBackend.PATH)));
    ProxyConfig config =
        ProxyConfig.builder()
            .port(0)
            .tokenKey(KEY)
            .allowLoopbackUpstreams(true)
            .noVncDir(Path.of("/nonexistent"))
            .build();
    try (ProxyServer proxy =
        ProxyServer.start(config, routes, BenchRfb.passwords(), SessionActivity.NONE)) {
      System.out.println("BENCH port " + proxy.port());
      BufferedReader commands =
          new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      String line;
      while ((line = commands.readLine()) != null && !line.equals("quit")) {
        if (line.equals("heap")) {
          for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(200);
          }
          System.out.println(
              "BENCH heap " + ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
      }
    }
  }

  static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
    } catch (Exception e) {
      return "unknown";
    }
  }

  private static long[] concat(long[] a, long[] b) {
    if (a == null) {
      return b;
    }
    long[] all = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }

  /** User plus system CPU time of a process and its live descendants. */
  private static double cpuSeconds(ProcessHandle root) {
    return java.util.stream.Stream.concat(java.util.stream.Stream.of(root), root.descendants())
        .mapToDouble(
            h -> {
              try {
                String stat = Files.readString(Path.of("/proc", Long.toString(h.pid()), "stat"));
                String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / 100.0;
              } catch (Exception e) {
                return 0;
              }
            })
        .sum();
  }

  /** One relay's throughput round: echoed bytes per second, and its CPU seconds per GiB echoed. */
  private record Relayed(double rate, double cpuPerGib) {}

  /**
   * {@link RawWebSocket#throughput} through a relay, with the CPU time the relay's process used.
   */
  private static Relayed relayedThroughput(
      RawWebSocket connection, ByteBuffer payload, ProcessHandle relay, Duration warmup)
      throws IOException {
    double cpuBefore = cpuSeconds(relay);
    double rate = RawWebSocket.throughput(connection, payload, FRAME, WINDOW, warmup, MEASURE);
    double gib = rate * (MEASURE.toNanos() + warmup.toNanos()) / 1e9 / (1 << 30);
    return new Relayed(rate, (cpuSeconds(relay) - cpuBefore) / gib);
  }

  private static long[] tcpRoundTrips(SocketChannel channel, int warmup, int rounds, int size)
      throws Exception {
    long[] samples = new long[rounds];
    ByteBuffer out = BenchRfb.updateRequests(size);
    ByteBuffer in = ByteBuffer.allocateDirect(size);
    for (int i = -warmup; i < rounds; i++) {
      long started = System.nanoTime();
      out.clear();
      while (out.hasRemaining()) {
        channel.write(out);
      }
      in.clear();
      while (in.hasRemaining()) {
        if (channel.read(in) < 0) {
          throw new IllegalStateException("echo closed");
        }
      }
      if (i >= 0) {
        samples[i] = System.nanoTime() - started;
      }
    }
    return samples;
  }

  private static double tcpThroughput(
      int port, int frame, int window, Duration warmup, Duration measure) throws Exception {
    try (SocketChannel channel = SocketChannel.open(new InetSocketAddress("127.0.0.1", port))) {
      java.util.concurrent.atomic.AtomicLong received =
          new java.util.concurrent.atomic.AtomicLong();
      Thread reader =
          Thread.ofPlatform()
              .start(
                  () -> {
                    ByteBuffer in = ByteBuffer.allocateDirect(frame);
                    try {
                      while (true) {
                        in.clear();
                        int n = channel.read(in);
                        if (n < 0) {
                          return;
                        }
                        received.addAndGet(n);
                      }
                    } catch (Exception e) {
                      // Closed at the end of the measurement.
                    }
                  });
      ByteBuffer out = BenchRfb.updateRequests(frame);
      long sent = 0;
      long measureFrom = System.nanoTime() + warmup.toNanos();
      long end = measureFrom + measure.toNanos();
      long atStart = -1;
      while (true) {
        long now = System.nanoTime();
        if (atStart < 0 && now >= measureFrom) {
          atStart = received.get();
        }
        if (now >= end) {
          double rate = (received.get() - atStart) / (measure.toNanos() / 1e9);
          channel.close();
          reader.join(5000);
          return rate;
        }
        if (sent - received.get() + frame > window) {
          java.util.concurrent.locks.LockSupport.parkNanos(50_000);
          continue;
        }
        out.clear();
        while (out.hasRemaining()) {
          channel.write(out);
        }
        sent += frame;
      }
    }
  }

  private static long pct(long[] samples, int percentile) {
    long[] sorted = samples.clone();
    Arrays.sort(sorted);
    return sorted[
        Math.min(sorted.length - 1, (int) Math.ceil(percentile / 100.0 * sorted.length) - 1)];
  }

  private static long added(long[] relayed, long[] direct, int percentile) {
    return pct(relayed, percentile) - pct(direct, percentile);
  }

  private static String micros(long nanos) {
    return String.format(Locale.ROOT, "%.0f µs", nanos / 1000.0);
  }

  private static String mib(double bytesPerSecond) {
    return String.format(Locale.ROOT, "%.0f MiB/s", bytesPerSecond / (1 << 20));
  }

  static String kib(long bytes) {
    return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
  }

  private static String row(String what, String proxy, String websockify, String target) {
    return "| " + what + " | " + proxy + " | " + websockify + " | " + target + " |\n";
  }

  static void quietLogs() {
    ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
        .setLevel(Level.WARN);
    ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("dev.kindling")).setLevel(Level.WARN);
  }

  static void log(String format, Object... args) {
    System.err.println("[bench] " + String.format(Locale.ROOT, format, args));
  }

  /** Replaces this benchmark's section of docs/BENCHMARKS.md, leaving the others alone. */
  private static void writeSection(String section) throws Exception {
    Path root = Path.of(System.getProperty("kindling.repo.root", "")).toAbsolutePath();
    while (root != null && !Files.exists(root.resolve("mvnw"))) {
      root = root.getParent();
    }
    if (root == null) {
      throw new IllegalStateException(
          "cannot find the repository root (no mvnw above the working directory)");
    }
    Path file = root.resolve("docs/BENCHMARKS.md");
    String text = Files.exists(file) ? Files.readString(file) : "# Benchmarks\n\n";
    List<String> lines = text.lines().toList();
    int start = lines.indexOf("## Proxy");
    String updated;
    if (start < 0) {
      updated =
          (text.endsWith("\n\n") ? text : text.endsWith("\n") ? text + "\n" : text + "\n\n")
              + section;
    } else {
      int end = start + 1;
      while (end < lines.size() && !lines.get(end).startsWith("## ")) {
        end++;
      }
      StringBuilder out = new StringBuilder();
      lines.subList(0, start).forEach(l -> out.append(l).append('\n'));
      out.append(section);
      if (end < lines.size()) {
        out.append('\n');
        lines.subList(end, lines.size()).forEach(l -> out.append(l).append('\n'));
      }
      updated = out.toString();
    }
    Files.createDirectories(file.getParent());
    Files.writeString(file, updated);
    log("wrote %s", file);
  }

  /**
   * Debian's websockify relaying a loopback port to the TCP echo; killed with its children at the
   * end.
   */
  private static final class Websockify implements AutoCloseable {
    private final Process process;
    final int port;

    Websockify(int tcpEchoPort) throws Exception {
      try (ServerSocket free = new ServerSocket(0)) {
        port = free.getLocalPort();
      }
      process =
          new ProcessBuilder("websockify", "127.0.0.1:" + port, "127.0.0.1:" + tcpEchoPort)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (true) {
        try (SocketChannel probe = SocketChannel.open(new InetSocketAddress("127.0.0.1", port))) {
          return;
        } catch (java.io.IOException e) {
          if (System.nanoTime() > deadline || !process.isAlive()) {
            throw new IllegalStateException("websockify did not start listening on " + port, e);
          }
          Thread.sleep(50);
        }
      }
    }

    ProcessHandle handle() {
      return process.toHandle();
    }

    String version() {
      try {
        Process p =
            new ProcessBuilder("dpkg-query", "-W", "-f=${Version}", "websockify")
                .redirectErrorStream(true)
                .start();
        String v = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        p.waitFor(5, TimeUnit.SECONDS);
        return v.isEmpty() ? "unknown version" : v;
      } catch (Exception e) {
        return "unknown version";
      }
    }

    @Override
    public void close() throws Exception {
      process.toHandle().descendants().forEach(ProcessHandle::destroy);
      process.destroy();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
      }
    }
  }
}
