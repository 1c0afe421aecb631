package dev.kindling.activities.egress.bench;

import dev.kindling.host.netns.NetworkNamespaces;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * What the egress proxy costs a guest, measured on its production path without a VM: the proxy
 * ({@link dev.kindling.activities.egress.EgressProxy}, in a JVM of its own, {@link ProxyHost})
 * listens on 127.0.0.1 inside a fresh network namespace, the "guest" connects from inside that
 * namespace, and the proxy connects out from the host's namespace to servers on the host's
 * 127.0.0.1 ({@link LoopbackServers}). Every number through the proxy is set against a client in
 * the host's namespace going straight to the same server in the same run. Prints the "Egress proxy"
 * section of docs/BENCHMARKS.md as Markdown. A benchmark, not a test: it asserts nothing. Needs
 * root (it creates network namespaces).
 *
 * <pre>
 * EgressBench [--runs 5] [--warmup 1] [--mib 1024] [--round-trips 20000] [--requests 2000]
 *             [--idle 2000] [--out FILE] [--samples DIR]
 * </pre>
 */
public final class EgressBench {
  private static final InetAddress LOOPBACK = InetAddress.ofLiteral("127.0.0.1");
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

  /** Generous: the benchmark should never give up on a slow, busy host. */
  private static final int READ_TIMEOUT_MILLIS = 120_000;

  private static final long MIB = 1024 * 1024;
  private static final long GIB = 1024 * MIB;

  /** Latency samples are taken in this many blocks that alternate between the two paths. */
  private static final int BLOCKS = 10;

  /** Unconnected sockets are made inside the namespace this many at a time (one thread each). */
  private static final int CHANNEL_BATCH = 250;

  /** Files a JVM keeps open besides the benchmark's sockets (jars, JDK, pipes), with room. */
  private static final int FILE_RESERVE = 512;

  private static final String INTRO =
      "The egress proxy (`EgressProxy`, in a JVM of its own) on its production path without a VM:"
          + " it listens on 127.0.0.1 inside a fresh network namespace, the guest's side connects"
          + " from inside that namespace, and the proxy connects out from the host's namespace to"
          + " servers on the host's 127.0.0.1 (policy: `bench.test` on their ports, resolved to"
          + " 127.0.0.1; deny-list: the standard one with 127.0.0.1/32 excepted). Each number"
          + " through the proxy is set against a client in the host's namespace going straight to"
          + " the same server in the same run; warm-up rounds are not counted.";

  private record Options(
      int runs,
      int warmup,
      long bytes,
      int roundTrips,
      int requests,
      int idle,
      Path out,
      Path samples) {}

  /** One timed transfer and the CPU each JVM spent meanwhile. */
  private record Transfer(long nanos, long endpointsCpuNanos, long proxyCpuNanos) {
    double mibPerSecond(long bytes) {
      return bytes / (double) MIB / (nanos / 1e9);
    }
  }

  /** One answer of {@link ProxyHost} to gc-and-measure. */
  private record Measured(
      long heapUsed,
      long heapCommitted,
      long rss,
      long osThreads,
      long platformThreads,
      long virtualThreads,
      long open) {
    static Measured of(Map<String, String> values) {
      return new Measured(
          Long.parseLong(values.get("heapUsed")),
          Long.parseLong(values.get("heapCommitted")),
          Long.parseLong(values.get("rss")),
          Long.parseLong(values.get("osThreads")),
          Long.parseLong(values.get("platformThreads")),
          Long.parseLong(values.get("virtualThreads")),
          Long.parseLong(values.get("open")));
    }
  }

  private record Idle(
      int count, String limitNote, Measured before, Measured held, Measured after) {}

  public static void main(String[] args) throws Exception {
    Options options = parse(args);
    String notRoot = notRoot();
    if (notRoot != null) {
      System.err.println("[kindling] EgressBench skipped: " + notRoot);
      return;
    }
    String started = now();
    String loadBefore = loadAverage();
    long[] ticksBefore = cpuTicks();
    List<Transfer> directDown = new ArrayList<>();
    List<Transfer> proxyDown = new ArrayList<>();
    List<Transfer> directUp = new ArrayList<>();
    List<Transfer> proxyUp = new ArrayList<>();
    long[][] echo;
    long[][] http;
    String collections;
    Idle idle;
    String otherWork;
    try (OtherWork others = new OtherWork();
        LoopbackServers servers = LoopbackServers.start()) {
      ProxyProcess proxy;
      try {
        proxy = ProxyProcess.start(namespace(), 256, servers.ports());
      } catch (ProxyProcess.Unavailable e) {
        System.err.println("[kindling] EgressBench skipped: " + e.getMessage());
        return;
      }
      try (proxy) {
        log("proxy JVM " + proxy.pid() + " serves in namespace " + proxy.namespace());
        long[] beforeThroughput = proxy.collections();
        others.phase("throughput");
        log("throughput: " + options.runs() + " runs of " + options.bytes() / MIB + " MiB each");
        for (int run = -options.warmup(); run < options.runs(); run++) {
          boolean measured = run >= 0;
          // Which path goes first alternates, so slow spells on the host fall on both alike.
          boolean proxyFirst = Math.floorMod(run, 2) == 1;
          for (char op : new char[] {'D', 'U'}) {
            for (boolean viaProxy :
                proxyFirst ? new boolean[] {true, false} : new boolean[] {false, true}) {
              Transfer transfer = transfer(proxy, servers, viaProxy, op, options.bytes());
              log(
                  String.format(
                      Locale.ROOT,
                      "%s %s %s: %.0f MiB/s",
                      measured ? "run " + (run + 1) : "warm-up",
                      op == 'D' ? "download" : "upload",
                      viaProxy ? "proxy" : "direct",
                      transfer.mibPerSecond(options.bytes())));
              if (measured) {
                (op == 'D' ? (viaProxy ? proxyDown : directDown) : (viaProxy ? proxyUp : directUp))
                    .add(transfer);
              }
            }
          }
        }
        long[] afterThroughput = proxy.collections();
        others.phase("round trips");
        echo = echoLatency(proxy, servers, options.roundTrips());
        long[] afterEcho = proxy.collections();
        others.phase("HTTP requests");
        http = httpLatency(proxy, servers, options.requests());
        long[] afterHttp = proxy.collections();
        collections =
            String.format(
                Locale.ROOT,
                "Garbage collections in the proxy's JVM, warm-ups included: %d (%d ms in all)"
                    + " during the throughput runs, %d (%d ms) during the round trips, %d (%d ms)"
                    + " during the HTTP requests.",
                afterThroughput[0] - beforeThroughput[0],
                afterThroughput[1] - beforeThroughput[1],
                afterEcho[0] - afterThroughput[0],
                afterEcho[1] - afterThroughput[1],
                afterHttp[0] - afterEcho[0],
                afterHttp[1] - afterEcho[1]);
      }
      others.phase("idle tunnels");
      idle = idleConnections(servers, options.idle());
      otherWork = others.report();
    }
    String loadAfter = loadAverage();
    String stolen = stolen(ticksBefore, cpuTicks());
    String markdown =
        markdown(
            options,
            started,
            loadBefore,
            loadAfter,
            stolen,
            otherWork,
            directDown,
            proxyDown,
            directUp,
            proxyUp,
            echo,
            http,
            collections,
            idle);
    if (options.samples() != null) {
      writeSamples(options.samples(), "round-trips", echo);
      writeSamples(options.samples(), "http", http);
    }
    System.out.print(markdown);
    if (options.out() != null) {
      Files.writeString(options.out(), markdown);
      log("written to " + options.out());
    }
  }

  /** Each path's latency samples in the order they were taken, nanoseconds, one a line. */
  private static void writeSamples(Path dir, String what, long[][] samples) throws IOException {
    Files.createDirectories(dir);
    String[] paths = {"direct", "proxy"};
    for (int i = 0; i < paths.length; i++) {
      Files.writeString(
          dir.resolve(what + "-" + paths[i] + ".txt"),
          Arrays.stream(samples[i])
              .mapToObj(Long::toString)
              .collect(Collectors.joining("\n", "", "\n")));
    }
    log("samples written to " + dir);
  }

  // ---- throughput

  private static Transfer transfer(
      ProxyProcess proxy, LoopbackServers servers, boolean viaProxy, char op, long bytes)
      throws IOException {
    try (Socket socket =
        viaProxy ? tunnel(proxy, servers.bulkPort()) : direct(servers.bulkPort())) {
      InputStream in = socket.getInputStream();
      OutputStream out = socket.getOutputStream();
      byte[] buffer = new byte[LoopbackServers.CHUNK];
      byte[] header = ByteBuffer.allocate(9).put((byte) op).putLong(bytes).array();
      long endpointsCpu = endpointsCpuNanos();
      long proxyCpu = proxy.cpu().toNanos();
      long start = System.nanoTime();
      out.write(header);
      if (op == 'D') {
        long received = 0;
        while (received < bytes) {
          int n = in.read(buffer);
          if (n < 0) {
            throw new IOException("the download ended after " + received + " bytes");
          }
          received += n;
        }
      } else {
        for (long sent = 0; sent < bytes; sent += buffer.length) {
          out.write(buffer, 0, (int) Math.min(buffer.length, bytes - sent));
        }
        if (in.read() != 1) {
          throw new IOException("the upload was not acknowledged");
        }
      }
      long nanos = System.nanoTime() - start;
      return new Transfer(
          nanos, endpointsCpuNanos() - endpointsCpu, proxy.cpu().toNanos() - proxyCpu);
    }
  }

  // ---- latency on an established connection

  /** Round trip nanos of 64-byte messages: [0] direct, [1] through a tunnel. */
  private static long[][] echoLatency(ProxyProcess proxy, LoopbackServers servers, int count)
      throws IOException {
    int perBlock = Math.max(1, count / BLOCKS);
    long[] direct = new long[perBlock * BLOCKS];
    long[] through = new long[perBlock * BLOCKS];
    try (Socket straight = direct(servers.echoPort());
        Socket tunneled = tunnel(proxy, servers.echoPort())) {
      log("round trips: warming up");
      roundTrips(straight, new long[Math.max(5_000, count / 4)], 0, Math.max(5_000, count / 4));
      roundTrips(tunneled, new long[Math.max(5_000, count / 4)], 0, Math.max(5_000, count / 4));
      log("round trips: " + perBlock * BLOCKS + " per path");
      for (int block = 0; block < BLOCKS; block++) {
        int from = block * perBlock;
        if (block % 2 == 0) {
          roundTrips(straight, direct, from, perBlock);
          roundTrips(tunneled, through, from, perBlock);
        } else {
          roundTrips(tunneled, through, from, perBlock);
          roundTrips(straight, direct, from, perBlock);
        }
      }
    }
    return new long[][] {direct, through};
  }

  private static void roundTrips(Socket socket, long[] into, int from, int count)
      throws IOException {
    InputStream in = socket.getInputStream();
    OutputStream out = socket.getOutputStream();
    byte[] message = new byte[LoopbackServers.MESSAGE];
    ThreadLocalRandom.current().nextBytes(message);
    byte[] answer = new byte[LoopbackServers.MESSAGE];
    for (int i = 0; i < count; i++) {
      long start = System.nanoTime();
      out.write(message);
      int filled = 0;
      while (filled < answer.length) {
        int n = in.read(answer, filled, answer.length - filled);
        if (n < 0) {
          throw new IOException("the echo ended");
        }
        filled += n;
      }
      into[from + i] = System.nanoTime() - start;
    }
    if (!Arrays.equals(message, answer)) {
      throw new IOException("the echo answered other bytes");
    }
  }

  // ---- a plain HTTP request on a new connection

  /** Request nanos, connect to end of response: [0] direct, [1] through the proxy. */
  private static long[][] httpLatency(ProxyProcess proxy, LoopbackServers servers, int count)
      throws IOException {
    int port = servers.httpPort();
    String authority = ProxyHost.HOST + ":" + port;
    String headers = "Host: " + authority + "\r\nUser-Agent: egressbench\r\nAccept: */*\r\n";
    byte[] straight =
        ("GET /x HTTP/1.1\r\n" + headers + "Connection: close\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII);
    byte[] proxied =
        ("GET http://" + authority + "/x HTTP/1.1\r\n" + headers + "\r\n")
            .getBytes(StandardCharsets.US_ASCII);
    InetSocketAddress server = new InetSocketAddress(LOOPBACK, port);
    InetSocketAddress listener = new InetSocketAddress(LOOPBACK, proxy.port());
    int perBlock = Math.max(1, count / BLOCKS);
    long[] direct = new long[perBlock * BLOCKS];
    long[] through = new long[perBlock * BLOCKS];
    int warmup = Math.max(500, count / 4);
    log("HTTP requests: warming up");
    requests(null, server, straight, new long[warmup], 0, warmup);
    requests(proxy.namespace(), listener, proxied, new long[warmup], 0, warmup);
    log("HTTP requests: " + perBlock * BLOCKS + " per path");
    for (int block = 0; block < BLOCKS; block++) {
      int from = block * perBlock;
      if (block % 2 == 0) {
        requests(null, server, straight, direct, from, perBlock);
        requests(proxy.namespace(), listener, proxied, through, from, perBlock);
      } else {
        requests(proxy.namespace(), listener, proxied, through, from, perBlock);
        requests(null, server, straight, direct, from, perBlock);
      }
    }
    return new long[][] {direct, through};
  }

  /**
   * {@code count} requests one after another, each on a new connection from {@code namespace}
   * (null: the host's); the sockets are made beforehand, so only connecting is timed.
   */
  private static void requests(
      String namespace, InetSocketAddress target, byte[] request, long[] into, int from, int count)
      throws IOException {
    byte[] buffer = new byte[4096];
    for (int done = 0; done < count; ) {
      List<SocketChannel> channels = channels(namespace, Math.min(CHANNEL_BATCH, count - done));
      try {
        for (SocketChannel channel : channels) {
          long start = System.nanoTime();
          channel.connect(target);
          Socket socket = channel.socket();
          socket.setSoTimeout(READ_TIMEOUT_MILLIS);
          socket.getOutputStream().write(request);
          InputStream in = socket.getInputStream();
          ByteArrayOutputStream response = new ByteArrayOutputStream(256);
          int n;
          while ((n = in.read(buffer)) >= 0) {
            response.write(buffer, 0, n);
          }
          into[from + done] = System.nanoTime() - start;
          channel.close();
          if (!Arrays.equals(response.toByteArray(), LoopbackServers.HTTP_RESPONSE)) {
            throw new IOException(
                "unexpected response: " + response.toString(StandardCharsets.ISO_8859_1));
          }
          done++;
        }
      } finally {
        for (SocketChannel channel : channels) {
          channel.close();
        }
      }
    }
  }

  // ---- idle connections

  private static Idle idleConnections(LoopbackServers servers, int wanted) throws IOException {
    long files = openFileLimit();
    int fitting = (int) Math.max(0, (files - FILE_RESERVE) / 2);
    int count = Math.min(wanted, fitting);
    String limitNote =
        count < wanted
            ? "The number of tunnels was reduced from "
                + wanted
                + " to fit the open-file limit of "
                + files
                + " (each tunnel is two sockets in the proxy's JVM and two in the benchmark's)"
            : "Open-file limit " + files + " per process";
    try (ProxyProcess proxy = ProxyProcess.start(namespace(), count + 64, servers.ports())) {
      log("idle tunnels: a fresh proxy JVM " + proxy.pid() + "; warming up");
      // Classes loaded and code compiled on the way to an open tunnel are not per connection.
      int warm = Math.min(200, count);
      closeTunnels(servers, openTunnels(proxy, servers, warm), proxy);
      Measured before = Measured.of(proxy.gcAndMeasure());
      log("idle tunnels: opening " + count);
      int accepted = servers.idleAccepted();
      List<Socket> tunnels = openTunnels(proxy, servers, count);
      try {
        awaitAccepted(servers, accepted + count);
        sleep(2_000);
        Measured held = Measured.of(proxy.gcAndMeasure());
        if (held.open() != count) {
          throw new IOException("the proxy holds " + held.open() + " tunnels, not " + count);
        }
        closeTunnels(servers, tunnels, proxy);
        tunnels = List.of();
        Measured after = Measured.of(proxy.gcAndMeasure());
        return new Idle(count, limitNote, before, held, after);
      } finally {
        for (Socket tunnel : tunnels) {
          tunnel.close();
        }
      }
    }
  }

  private static List<Socket> openTunnels(ProxyProcess proxy, LoopbackServers servers, int count)
      throws IOException {
    List<Socket> tunnels = new ArrayList<>(count);
    InetSocketAddress listener = new InetSocketAddress(LOOPBACK, proxy.port());
    try {
      while (tunnels.size() < count) {
        for (SocketChannel channel :
            channels(proxy.namespace(), Math.min(CHANNEL_BATCH, count - tunnels.size()))) {
          try {
            channel.connect(listener);
            tunnels.add(established(channel.socket(), servers.idlePort()));
          } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
          }
        }
      }
      return tunnels;
    } catch (IOException | RuntimeException e) {
      for (Socket tunnel : tunnels) {
        tunnel.close();
      }
      throw e;
    }
  }

  /** Closes both ends of each tunnel, and waits until the proxy has let go of them all. */
  private static void closeTunnels(
      LoopbackServers servers, List<Socket> tunnels, ProxyProcess proxy) throws IOException {
    for (Socket tunnel : tunnels) {
      tunnel.close();
    }
    servers.dropIdle();
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (Measured.of(proxy.gcAndMeasure()).open() > 0) {
      if (System.nanoTime() > deadline) {
        throw new IOException("the proxy still holds tunnels 60 s after they were closed");
      }
      sleep(500);
    }
  }

  private static void awaitAccepted(LoopbackServers servers, int total) throws IOException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (servers.idleAccepted() < total) {
      if (System.nanoTime() > deadline) {
        throw new IOException(
            "the idle server accepted " + servers.idleAccepted() + " of " + total);
      }
      sleep(100);
    }
  }

  // ---- connections

  /** A guest's tunnel to {@code port} on bench.test, through the proxy, from its namespace. */
  private static Socket tunnel(ProxyProcess proxy, int port) throws IOException {
    SocketChannel channel =
        NetworkNamespaces.connect(
            proxy.namespace(), new InetSocketAddress(LOOPBACK, proxy.port()), CONNECT_TIMEOUT);
    try {
      return established(channel.socket(), port);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /** Sends CONNECT on a connection to the proxy and reads its 200 head, and nothing beyond it. */
  private static Socket established(Socket socket, int port) throws IOException {
    socket.setTcpNoDelay(true);
    socket.setSoTimeout(READ_TIMEOUT_MILLIS);
    String authority = ProxyHost.HOST + ":" + port;
    socket
        .getOutputStream()
        .write(
            ("CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
    InputStream in = socket.getInputStream();
    byte[] head = new byte[1024];
    int filled = 0;
    while (!LoopbackServers.headEnds(head, filled)) {
      int b = in.read();
      if (b < 0 || filled == head.length) {
        throw new IOException("the proxy ended its answer to CONNECT early");
      }
      head[filled++] = (byte) b;
    }
    String answer = new String(head, 0, filled, StandardCharsets.ISO_8859_1);
    if (!answer.startsWith("HTTP/1.1 200 ")) {
      throw new IOException("the proxy refused CONNECT " + authority + ": " + answer.strip());
    }
    return socket;
  }

  /** A connection from the host's namespace straight to {@code port} on 127.0.0.1. */
  private static Socket direct(int port) throws IOException {
    SocketChannel channel = SocketChannel.open();
    try {
      channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
      channel.socket().connect(new InetSocketAddress(LOOPBACK, port), 10_000);
      channel.socket().setSoTimeout(READ_TIMEOUT_MILLIS);
      return channel.socket();
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /** Unconnected TCP sockets made inside {@code namespace}, or in the host's when it is null. */
  private static List<SocketChannel> channels(String namespace, int count) throws IOException {
    if (namespace == null) {
      return openChannels(count);
    }
    return NetworkNamespaces.inside(namespace, () -> openChannels(count));
  }

  private static List<SocketChannel> openChannels(int count) throws IOException {
    List<SocketChannel> channels = new ArrayList<>(count);
    try {
      for (int i = 0; i < count; i++) {
        SocketChannel channel = SocketChannel.open();
        channels.add(channel);
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
      }
      return channels;
    } catch (IOException | RuntimeException e) {
      for (SocketChannel channel : channels) {
        channel.close();
      }
      throw e;
    }
  }

  // ---- the report

  private static String markdown(
      Options options,
      String started,
      String loadBefore,
      String loadAfter,
      String stolen,
      String otherWork,
      List<Transfer> directDown,
      List<Transfer> proxyDown,
      List<Transfer> directUp,
      List<Transfer> proxyUp,
      long[][] echo,
      long[][] http,
      String collections,
      Idle idle) {
    long bytes = options.bytes();
    StringBuilder md = new StringBuilder();
    md.append("## Egress proxy\n\n");
    md.append(INTRO)
        .append(" Run ")
        .append(started)
        .append(" on ")
        .append(Runtime.getRuntime().availableProcessors())
        .append(" CPUs (")
        .append(cpuModel())
        .append("), kernel ")
        .append(System.getProperty("os.version"))
        .append(", ")
        .append(System.getProperty("java.vm.name"))
        .append(' ')
        .append(System.getProperty("java.runtime.version"))
        .append(" (")
        .append(
            ManagementFactory.getGarbageCollectorMXBeans().stream()
                .map(GarbageCollectorMXBean::getName)
                .collect(Collectors.joining(", ")))
        .append("; both JVMs with default heap settings); load average (1, 5, 15 min) ")
        .append(loadBefore)
        .append(" before and ")
        .append(loadAfter)
        .append(" after; ")
        .append(stolen)
        .append("; other heavy work seen on the host (sampled twice a second) during ")
        .append(otherWork)
        .append(
            ". This host is shared and noisy (±40 % between runs has been seen): compare"
                + " the columns of one run, not runs.\n\n");

    md.append("| | direct | through the proxy | proxy vs direct |\n|---|---|---|---|\n");
    throughputRows(md, "download (server → guest)", bytes, options.runs(), directDown, proxyDown);
    throughputRows(md, "upload (guest → server)", bytes, options.runs(), directUp, proxyUp);
    latencyRows(
        md,
        "round trip, 64 B each way on an established connection (CONNECT tunnel), "
            + echo[0].length
            + " per path",
        echo);
    latencyRows(
        md,
        "plain HTTP GET on a new connection (connect, request, tiny response, server closes), "
            + http[0].length
            + " per path",
        http);
    Measured before = idle.before();
    Measured held = idle.held();
    int n = idle.count();
    md.append("| heap per idle CONNECT tunnel (")
        .append(String.format(Locale.ROOT, "%,d", n))
        .append(" held) | | ")
        .append(kib((held.heapUsed() - before.heapUsed()) / (double) n))
        .append(" | |\n");
    md.append("| RSS per idle CONNECT tunnel | | ")
        .append(kib((held.rss() - before.rss()) / (double) n))
        .append(" | |\n");
    md.append("| proxy JVM with 0 → ")
        .append(String.format(Locale.ROOT, "%,d", n))
        .append(" idle tunnels: heap used after GC, heap committed, RSS | | ")
        .append(mib(before.heapUsed()))
        .append(" → ")
        .append(mib(held.heapUsed()))
        .append(", ")
        .append(mib(before.heapCommitted()))
        .append(" → ")
        .append(mib(held.heapCommitted()))
        .append(", ")
        .append(mib(before.rss()))
        .append(" → ")
        .append(mib(held.rss()))
        .append(" | |\n");
    md.append("| proxy JVM threads with 0 → ")
        .append(String.format(Locale.ROOT, "%,d", n))
        .append(" idle tunnels: OS threads; platform Java threads; virtual threads | | ")
        .append(before.osThreads())
        .append(" → ")
        .append(held.osThreads())
        .append("; ")
        .append(before.platformThreads())
        .append(" → ")
        .append(held.platformThreads())
        .append("; ")
        .append(before.virtualThreads())
        .append(" → ")
        .append(held.virtualThreads())
        .append(" | |\n");

    md.append("\nThroughput per run, MiB/s (direct / proxy): download ")
        .append(pairs(directDown, proxyDown, bytes))
        .append("; upload ")
        .append(pairs(directUp, proxyUp, bytes))
        .append(".\n\n");
    md.append("How: throughput is ")
        .append(options.runs())
        .append(" runs (after ")
        .append(options.warmup())
        .append(" unmeasured) of ")
        .append(bytes / MIB)
        .append(
            " MiB over one new connection per run and path, 64 KiB writes, timed from the first"
                + " byte sent to the last byte received (upload: to the server's one-byte"
                + " acknowledgement); the paths alternate which goes first. CPU time is user plus"
                + " system time of a whole JVM over the measured runs: the proxy's JVM, and the"
                + " benchmark's JVM, which holds both endpoints (client and server) on either"
                + " path. Round trips: one connection per path, ")
        .append(Math.max(5_000, options.roundTrips() / 4))
        .append(
            " unmeasured round trips each first, then blocks alternating between the paths."
                + " HTTP: ")
        .append(Math.max(500, options.requests() / 4))
        .append(
            " unmeasured requests per path first; through the proxy the guest sends an"
                + " absolute-form `GET http://bench.test:PORT/x`, which the proxy forwards in"
                + " origin form with `Connection: close`; direct, the client sends that origin-form"
                + " request itself. The sockets are made beforehand (inside the namespace for the"
                + " proxy's path), so a sample is connect, request and response up to the server's"
                + " close. \"Added\" is the proxy's percentile minus the direct one. ")
        .append(collections)
        .append(" Idle tunnels:" + " a fresh proxy JVM (limits: the defaults, but ")
        .append(String.format(Locale.ROOT, "%,d", n + 64))
        .append(" connections per VM), ")
        .append(Math.min(200, n))
        .append(" tunnels opened and closed first, then ")
        .append(String.format(Locale.ROOT, "%,d", n))
        .append(
            " CONNECT tunnels to a server that only holds its end, and the proxy JVM's heap"
                + " used (after three `System.gc()`), VmRSS and threads (the JDK's JSON thread dump"
                + " counts the virtual ones) read before and 2 s after they were all open; per"
                + " tunnel is the difference divided by their count. Socket buffers are kernel"
                + " memory and in neither number. ")
        .append(idle.limitNote())
        .append(". After the tunnels closed: heap used ")
        .append(mib(idle.after().heapUsed()))
        .append(", RSS ")
        .append(mib(idle.after().rss()))
        .append(", ")
        .append(idle.after().virtualThreads())
        .append(" virtual threads.\n\n");
    md.append("Reproduce (as root): `bench/egress.sh")
        .append(options.runs() != 5 ? " --runs " + options.runs() : "")
        .append(" [--out FILE]`\n");
    return md.toString();
  }

  private static void throughputRows(
      StringBuilder md,
      String direction,
      long bytes,
      int runs,
      List<Transfer> direct,
      List<Transfer> proxy) {
    double directMib = median(direct.stream().mapToDouble(t -> t.mibPerSecond(bytes)).toArray());
    double proxyMib = median(proxy.stream().mapToDouble(t -> t.mibPerSecond(bytes)).toArray());
    md.append("| ")
        .append(direction)
        .append(", MiB/s, median of ")
        .append(runs)
        .append(" × ")
        .append(bytes >= GIB && bytes % GIB == 0 ? bytes / GIB + " GiB" : bytes / MIB + " MiB")
        .append(" | ")
        .append(String.format(Locale.ROOT, "%.0f", directMib))
        .append(" | **")
        .append(String.format(Locale.ROOT, "%.0f", proxyMib))
        .append("** | ")
        .append(String.format(Locale.ROOT, "%.2f×", proxyMib / directMib))
        .append(" |\n");
    double gib = bytes * (double) runs / GIB;
    md.append("| — CPU s per GiB, ")
        .append(direction.substring(0, direction.indexOf(' ')))
        .append(": proxy's JVM | | ")
        .append(cpuPerGib(proxy, Transfer::proxyCpuNanos, gib))
        .append(" | |\n");
    md.append("| — CPU s per GiB, ")
        .append(direction.substring(0, direction.indexOf(' ')))
        .append(": endpoints (benchmark JVM: client and server) | ")
        .append(cpuPerGib(direct, Transfer::endpointsCpuNanos, gib))
        .append(" | ")
        .append(cpuPerGib(proxy, Transfer::endpointsCpuNanos, gib))
        .append(" | |\n");
  }

  private interface CpuOf {
    long nanos(Transfer transfer);
  }

  private static String cpuPerGib(List<Transfer> transfers, CpuOf cpu, double gib) {
    long nanos = transfers.stream().mapToLong(cpu::nanos).sum();
    return String.format(Locale.ROOT, "%.2f", nanos / 1e9 / gib);
  }

  private static void latencyRows(StringBuilder md, String what, long[][] samples) {
    long[] direct = samples[0].clone();
    long[] through = samples[1].clone();
    Arrays.sort(direct);
    Arrays.sort(through);
    for (double p : new double[] {0.50, 0.99}) {
      long d = percentile(direct, p);
      long t = percentile(through, p);
      md.append("| ")
          .append(what)
          .append(": p")
          .append((int) Math.round(p * 100))
          .append(" | ")
          .append(micros(d))
          .append(" | ")
          .append(micros(t))
          .append(" | added **")
          .append(micros(t - d))
          .append("** |\n");
    }
  }

  private static String pairs(List<Transfer> direct, List<Transfer> proxy, long bytes) {
    List<String> runs = new ArrayList<>();
    for (int i = 0; i < direct.size(); i++) {
      runs.add(
          String.format(
              Locale.ROOT,
              "%.0f / %.0f",
              direct.get(i).mibPerSecond(bytes),
              proxy.get(i).mibPerSecond(bytes)));
    }
    return String.join(", ", runs);
  }

  private static long percentile(long[] sorted, double p) {
    int rank = (int) Math.ceil(p * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  private static String micros(long nanos) {
    return String.format(Locale.ROOT, "%.0f µs", nanos / 1e3);
  }

  private static String kib(double bytes) {
    return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024);
  }

  private static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) MIB);
  }

  // ---- the host

  private static long endpointsCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /** Why this cannot run, or null when it runs as root. */
  private static String notRoot() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("Uid:")) {
        String effective = line.substring(4).strip().split("\\s+")[1];
        return effective.equals("0")
            ? null
            : "needs root to create network namespaces (effective uid " + effective + ")";
      }
    }
    return "cannot tell the user id from /proc/self/status";
  }

  private static long openFileLimit() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
      if (line.startsWith("Max open files")) {
        String soft = line.substring("Max open files".length()).strip().split("\\s+")[0];
        return soft.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(soft);
      }
    }
    return 1024;
  }

  private static String namespace() {
    byte[] random = new byte[4];
    ThreadLocalRandom.current().nextBytes(random);
    return "kindling-egressbench" + HexFormat.of().formatHex(random);
  }

  private static String loadAverage() {
    try {
      String[] fields = Files.readString(Path.of("/proc/loadavg")).strip().split(" ");
      return String.join(" ", fields[0], fields[1], fields[2]);
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  /**
   * The host's CPU time so far, in ticks: user, nice, system, idle, iowait, irq, softirq, steal.
   */
  private static long[] cpuTicks() {
    try {
      String[] fields = Files.readAllLines(Path.of("/proc/stat")).getFirst().strip().split("\\s+");
      long[] ticks = new long[8];
      for (int i = 0; i < ticks.length; i++) {
        ticks[i] = Long.parseLong(fields[i + 1]);
      }
      return ticks;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** How busy the host's CPUs were between the two readings, and what the hypervisor took. */
  private static String stolen(long[] before, long[] after) {
    if (before == null || after == null) {
      return "CPU use during the run unknown";
    }
    long total = 0;
    long[] delta = new long[before.length];
    for (int i = 0; i < before.length; i++) {
      delta[i] = after[i] - before[i];
      total += delta[i];
    }
    if (total <= 0) {
      return "CPU use during the run unknown";
    }
    long idle = delta[3] + delta[4];
    return String.format(
        Locale.ROOT,
        "during the run the CPUs were %.0f %% busy and %.1f %% of their time was stolen by the"
            + " hypervisor",
        100.0 * (total - idle - delta[7]) / total,
        100.0 * delta[7] / total);
  }

  private static String cpuModel() {
    try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
      return lines
          .filter(l -> l.startsWith("model name"))
          .findFirst()
          .map(l -> l.substring(l.indexOf(':') + 1).strip())
          .orElse("unknown CPU");
    } catch (IOException e) {
      return "unknown CPU";
    }
  }

  private static String now() {
    return ZonedDateTime.now(ZoneOffset.UTC)
        .truncatedTo(ChronoUnit.MINUTES)
        .format(DateTimeFormatter.ISO_OFFSET_DATE_TIME)
        .replace(":00Z", "Z");
  }

  private static void log(String message) {
    System.err.println("[egressbench] " + message);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static Options parse(String[] args) {
    int runs = 5;
    int warmup = 1;
    long bytes = GIB;
    int roundTrips = 20_000;
    int requests = 2_000;
    int idle = 2_000;
    Path out = null;
    Path samples = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--runs" -> runs = Integer.parseInt(args[++i]);
        case "--warmup" -> warmup = Integer.parseInt(args[++i]);
        case "--mib" -> bytes = Long.parseLong(args[++i]) * MIB;
        case "--round-trips" -> roundTrips = Integer.parseInt(args[++i]);
        case "--requests" -> requests = Integer.parseInt(args[++i]);
        case "--idle" -> idle = Integer.parseInt(args[++i]);
        case "--out" -> out = Path.of(args[++i]);
        case "--samples" -> samples = Path.of(args[++i]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    if (runs < 1 || warmup < 0 || bytes < 1 || roundTrips < 1 || requests < 1 || idle < 1) {
      throw new IllegalArgumentException("every count must be positive");
    }
    return new Options(runs, warmup, bytes, roundTrips, requests, idle, out, samples);
  }

  private EgressBench() {}
}
