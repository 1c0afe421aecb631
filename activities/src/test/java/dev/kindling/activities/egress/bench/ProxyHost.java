package dev.kindling.activities.egress.bench;

import com.sun.management.HotSpotDiagnosticMXBean;
import dev.kindling.activities.egress.EgressLimits;
import dev.kindling.activities.egress.EgressProxy;
import dev.kindling.activities.egress.NameResolver;
import dev.kindling.host.egress.AddressDenyList;
import dev.kindling.host.egress.Cidr;
import dev.kindling.host.netns.Links;
import dev.kindling.host.netns.NetworkNamespaces;
import dev.kindling.workflows.egress.EgressPolicy;
import dev.kindling.workflows.egress.EgressReport;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The egress proxy alone in a JVM of its own, for {@link EgressBench}: it creates the namespace it
 * is given, brings its loopback up, listens on 127.0.0.1 inside it (as a VM's proxy listens on its
 * TAP's host address), and serves one VM whose policy allows {@code bench.test} on the given ports,
 * resolved to the host's 127.0.0.1. Its own memory and threads are then the proxy's and nothing
 * else's. Talks on stdout in lines that start with {@code proxyhost }; anything else there is a log
 * line.
 *
 * <pre>
 * ProxyHost NAMESPACE MAX_CONNECTIONS PORT...
 * </pre>
 *
 * <p>Answers one command per stdin line: {@code gc-and-measure} (heap used after full collections,
 * VmRSS, OS threads, platform and virtual Java threads, and the proxy's own counts), {@code
 * collections} (garbage collections so far and their time) and {@code quit}. It ends, deleting the
 * namespace, on {@code quit}, at the end of its input, or on SIGTERM.
 */
public final class ProxyHost {
  static final String PREFIX = "proxyhost ";
  static final String VM = "vm-egressbench";
  static final String HOST = "bench.test";
  private static final InetAddress LOOPBACK = InetAddress.ofLiteral("127.0.0.1");
  private static final int BACKLOG = 64;

  private ProxyHost() {}

  public static void main(String[] args) throws Exception {
    String namespace = args[0];
    int maxConnections = Integer.parseInt(args[1]);
    List<String> allowed = new ArrayList<>();
    for (int i = 2; i < args.length; i++) {
      allowed.add(HOST + ":" + Integer.parseInt(args[i]));
    }
    Runtime.getRuntime()
        .addShutdownHook(Thread.ofPlatform().unstarted(() -> deleteQuietly(namespace)));
    try {
      NetworkNamespaces.create(namespace);
    } catch (IOException | RuntimeException e) {
      say("failed reason=" + oneLine("namespace " + namespace + " cannot be created: " + e));
      System.exit(3);
      return;
    }
    try {
      serve(namespace, maxConnections, EgressPolicy.parse(allowed));
    } finally {
      deleteQuietly(namespace);
    }
  }

  private static void serve(String namespace, int maxConnections, EgressPolicy policy)
      throws Exception {
    ServerSocket listener =
        NetworkNamespaces.inside(
            namespace,
            () -> {
              try (Links links = Links.open()) {
                links.up("lo");
              }
              ServerSocket socket = new ServerSocket();
              try {
                socket.setReuseAddress(true);
                socket.bind(new InetSocketAddress(LOOPBACK, 0), BACKLOG);
                return socket;
              } catch (IOException | RuntimeException e) {
                socket.close();
                throw e;
              }
            });
    int port = listener.getLocalPort();
    NameResolver resolver =
        host -> {
          if (HOST.equals(host)) {
            return List.of(LOOPBACK);
          }
          throw new UnknownHostException(host);
        };
    AddressDenyList denyList =
        AddressDenyList.standard(List.of(), List.of(Cidr.parse("127.0.0.1/32")));
    EgressLimits defaults = EgressLimits.defaults();
    EgressLimits limits =
        new EgressLimits(
            maxConnections,
            defaults.idleTimeout(),
            defaults.headTimeout(),
            defaults.connectTimeout(),
            defaults.maxHeadBytes(),
            defaults.maxBytesPerVm());
    try (EgressProxy proxy =
        new EgressProxy(denyList, resolver, limits, new SimpleMeterRegistry())) {
      proxy.start(VM, "session-egressbench", policy, listener);
      say("ready port=" + port + " pid=" + ProcessHandle.current().pid());
      BufferedReader commands =
          new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      String command;
      while ((command = commands.readLine()) != null) {
        switch (command.strip()) {
          case "gc-and-measure" -> say("measured " + measure(proxy));
          case "collections" -> say("collections " + collections());
          case "quit" -> {
            say("bye");
            return;
          }
          case "" -> {}
          default -> say("unknown command=" + oneLine(command));
        }
      }
    }
  }

  private static String measure(EgressProxy proxy) throws IOException, InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(200);
    }
    MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
    long rssKb = status("VmRSS");
    long osThreads = status("Threads");
    int platformThreads = ManagementFactory.getThreadMXBean().getThreadCount();
    long[] dumped = dumpedThreads();
    EgressReport report = proxy.report(VM).orElseThrow();
    return "heapUsed="
        + heap.getUsed()
        + " heapCommitted="
        + heap.getCommitted()
        + " rss="
        + rssKb * 1024
        + " osThreads="
        + osThreads
        + " platformThreads="
        + platformThreads
        + " dumpedThreads="
        + dumped[0]
        + " virtualThreads="
        + dumped[1]
        + " open="
        + report.openConnections()
        + " connections="
        + report.connections()
        + " refusals="
        + report.refusals();
  }

  /** Garbage collections so far and their total time, as the collectors count them. */
  private static String collections() {
    long count = 0;
    long millis = 0;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      count += Math.max(0, gc.getCollectionCount());
      millis += Math.max(0, gc.getCollectionTime());
    }
    return "count=" + count + " millis=" + millis;
  }

  /** A number from /proc/self/status (kB for sizes). */
  private static long status(String field) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith(field + ":")) {
        return Long.parseLong(line.substring(field.length() + 1).strip().split("\\s+")[0]);
      }
    }
    return -1;
  }

  /**
   * All threads and the virtual ones among them, from the JDK's JSON thread dump (which lists
   * virtual threads too); -1 each when the dump cannot be made or read.
   */
  private static long[] dumpedThreads() {
    Path file = null;
    try {
      file = Files.createTempFile("egressbench-threads", ".json");
      Files.delete(file);
      ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
          .dumpThreads(file.toString(), HotSpotDiagnosticMXBean.ThreadDumpFormat.JSON);
      String json = Files.readString(file);
      return new long[] {count(json, "\"tid\""), count(json, "\"virtual\": true")};
    } catch (IOException | RuntimeException e) {
      return new long[] {-1, -1};
    } finally {
      if (file != null) {
        try {
          Files.deleteIfExists(file);
        } catch (IOException e) {
          // A temporary file left behind is harmless.
        }
      }
    }
  }

  private static long count(String text, String literal) {
    Matcher matcher = Pattern.compile(Pattern.quote(literal)).matcher(text);
    long n = 0;
    while (matcher.find()) {
      n++;
    }
    return n;
  }

  private static void deleteQuietly(String namespace) {
    try {
      NetworkNamespaces.delete(namespace);
    } catch (IOException | RuntimeException e) {
      System.err.println("[kindling] ProxyHost: deleting namespace " + namespace + " failed: " + e);
    }
  }

  private static void say(String line) {
    System.out.println(PREFIX + line);
    System.out.flush();
  }

  private static String oneLine(String text) {
    return text.replaceAll("\\s+", " ");
  }
}
