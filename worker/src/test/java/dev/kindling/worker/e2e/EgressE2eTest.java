package dev.kindling.worker.e2e;

import static dev.kindling.host.testing.HostCapability.BROWSER_E2E;
import static dev.kindling.host.testing.HostCapability.IPROUTE2;
import static dev.kindling.host.testing.HostCapability.QEMU;
import static dev.kindling.host.testing.HostCapability.ROOT;
import static dev.kindling.host.testing.HostCapability.TEMPORAL_CLI;
import static dev.kindling.host.testing.HostCapability.TUN;
import static dev.kindling.host.testing.HostCapability.VM_TESTS_ENABLED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kindling.host.TemporalCli;
import dev.kindling.host.netns.NetworkNamespaces;
import dev.kindling.host.testing.RequiresHost;
import dev.kindling.proxy.ProxyServer;
import dev.kindling.worker.config.KindlingConfig;
import dev.kindling.worker.config.Setting;
import dev.kindling.worker.dev.TemporalDevServer;
import dev.kindling.worker.runtime.ProxyRuntime;
import dev.kindling.worker.runtime.TemporalConnection;
import dev.kindling.worker.testing.CurrentImage;
import dev.kindling.workflows.client.KindlingClient;
import dev.kindling.workflows.egress.EgressRefusal;
import dev.kindling.workflows.egress.EgressReport;
import dev.kindling.workflows.host.BootMode;
import dev.kindling.workflows.host.GuestNetwork;
import dev.kindling.workflows.host.Launch;
import dev.kindling.workflows.testing.Await;
import dev.kindling.workflows.vm.Phase;
import dev.kindling.workflows.vm.VmDescription;
import dev.kindling.workflows.vm.VmRequest;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Egress on real VMs. The test's "internet" is a server on this host's loopback ({@link
 * TestInternet}), which the workers may reach because the test allows 127.0.0.1/32 for its own run;
 * its names resolve only in the workers' JVMs, through a hosts file of the test's ({@code
 * jdk.net.hosts.file}): {@code allowed.kindling.test} and {@code denied.kindling.test} to
 * 127.0.0.1, {@code private.kindling.test} to 127.0.0.2, which stays denied as loopback. From
 * inside a terminal VM a probe script reports what it reached; a browser VM shows an allowed page
 * with a refused frame in it; a worker killed with SIGKILL takes its listeners with it and the next
 * worker serves the running VM's egress again; and the host's own namespace is the same before and
 * after.
 */
@Tag("vm")
@RequiresHost({ROOT, IPROUTE2, TUN, QEMU, BROWSER_E2E, TEMPORAL_CLI, VM_TESTS_ENABLED})
class EgressE2eTest {
  private static final String ALLOWED = "allowed.kindling.test";

  /** Text of one line, "<name>:<port> is not allowed for this session", is well over this. */
  private static final long REASON_PIXELS = 300;

  /** The heading band of the egress proxy's refusal page. */
  private static final int REFUSAL_BAND = 0x922b21;

  private static final ObjectMapper JSON = new ObjectMapper();

  private static Path runDir;
  private static TemporalDevServer temporal;
  private static TemporalConnection connection;
  private static KindlingConfig config;
  private static KindlingClient client;
  private static WorkerProcesses workers;
  private static ProxyServer proxy;
  private static TestInternet internet;
  private static List<String> workerJvmOptions;
  private static Process firstWorker;
  private static Map<Setting, String> workerSettings;
  private static final List<String> sessions = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    runDir = E2e.tempRunDir();
    KindlingConfig defaults = E2e.config(runDir, Map.of());
    Path cli =
        TemporalCli.find(System.getenv("KINDLING_TEMPORAL_CLI"), defaults.paths()).orElseThrow();
    temporal =
        TemporalDevServer.start(
            new TemporalDevServer.Options(
                cli, 0, -1, null, "default", runDir.resolve("temporal-dev-server.log")));
    config = E2e.config(runDir, Map.of(Setting.TEMPORAL_TARGET, temporal.target()));
    connection = TemporalConnection.open(config);
    client = new KindlingClient(connection.client());
    internet = TestInternet.start();
    Path hosts = runDir.resolve("hosts");
    Files.writeString(
        hosts,
        "127.0.0.1 localhost "
            + ALLOWED
            + " denied.kindling.test\n127.0.0.2 private.kindling.test\n::1 localhost\n");
    workerJvmOptions = List.of("-Djdk.net.hosts.file=" + hosts);
    // The workers resolve no other name, so they are told their host id rather than look it up.
    workerSettings =
        Map.of(
            Setting.HOST_ID,
            config.hostId(),
            Setting.EGRESS_ALLOW_RANGES,
            "127.0.0.1/32",
            Setting.WORKER_METRICS_PORT,
            "-1");
    workers = new WorkerProcesses(config, runDir);
    firstWorker = workers.start("first", workerJvmOptions, workerSettings);
    proxy = ProxyRuntime.start(config, connection.client(), ProxyRuntime.tokenKey(config));
    Files.createDirectories(Screenshots.ARTEFACTS);
  }

  @AfterAll
  static void stop() throws Exception {
    if (workers != null && workers.anyAlive()) {
      for (String session : sessions) {
        E2e.releaseAndAwaitEnd(connection.client(), session);
      }
    }
    if (workers != null) {
      workers.close();
    }
    if (config != null) {
      E2e.destroyLeftovers(config);
    }
    if (proxy != null) {
      proxy.close();
    }
    if (connection != null) {
      connection.close();
    }
    if (temporal != null) {
      temporal.close();
    }
    if (internet != null) {
      internet.close();
    }
    E2e.deleteRecursively(runDir);
  }

  @Test
  void aGuestReachesExactlyWhatItsSessionAllowsAndTheHostNamespaceStaysAsItWas() throws Exception {
    CurrentImage.ensure(connection.client(), config, "terminal");
    CurrentImage.ensure(connection.client(), config, "browser");
    HostNamespaceState before = HostNamespaceState.now();

    String vmId = theProbeReachesOnlyWhatIsAllowed();
    aKilledWorkersSuccessorServesTheRunningVmsEgressAgain(vmId);
    end(sessions.getFirst(), vmId);

    theBrowserShowsAnAllowedPageAndARefusal();

    assertEquals(before, HostNamespaceState.now(), "the host's own namespace did not change");
  }

  private static String theProbeReachesOnlyWhatIsAllowed() throws Exception {
    int http = internet.httpPort();
    int echo = internet.echoPort();
    String session = E2e.session("egress-probe");
    sessions.add(session);
    client.startVm(
        new VmRequest(
            session,
            null,
            BootMode.AUTO,
            900,
            0,
            0,
            0,
            "terminal",
            new Launch(null, probeArgs(http, echo)),
            List.of(ALLOWED + ":" + http, ALLOWED + ":" + echo, "private.kindling.test:" + http)));
    VmDescription ready = awaitReady(session);

    String reported =
        Await.until(
                "the probe's report",
                Duration.ofMinutes(3),
                internet::reports,
                reports -> !reports.isEmpty())
            .getFirst();
    JsonNode report = JSON.readTree(reported);
    assertEquals(GuestNetwork.EGRESS_PROXY_URL, report.path("proxy").asText(), reported);
    assertEquals(200, report.path("allowed").path(0).asInt(), reported);
    assertEquals(TestInternet.GREETING, report.path("allowed").path(1).asText(), reported);
    assertEquals(403, report.path("denied").path(0).asInt(), reported);
    assertTrue(
        report
            .path("denied")
            .path(1)
            .asText()
            .contains("denied.kindling.test:" + http + " is not allowed for this session"),
        reported);
    assertEquals(403, report.path("private").path(0).asInt(), reported);
    assertTrue(report.path("private").path(1).asText().contains("127.0.0.2"), reported);
    assertTrue(report.path("private").path(1).asText().contains("loopback"), reported);
    assertEquals("200", report.path("tunnel").path(0).asText(), reported);
    assertEquals("ping", report.path("tunnel").path(1).asText(), reported);
    // The guest's only route is its tap: the host end of it answers nothing but the proxy, and
    // the test's servers on the host's loopback are out of reach (no address outside Kindling's
    // namespaces is ever dialled).
    assertEquals(2, report.path("direct").size(), reported);
    for (JsonNode direct : report.path("direct")) {
      assertTrue(direct.asText().contains("ConnectionRefused"), reported);
    }
    assertEquals(0, internet.forbiddenAccepts(), "nothing ever connected to 127.0.0.2");
    assertEquals(List.of("/hello", "/report"), internet.paths(), "the denied names never arrived");

    EgressReport egress =
        Await.until(
            "the host's egress report in describe",
            Duration.ofSeconds(90),
            () -> client.describe(session).egress(),
            e -> e != null && e.refusals() >= 2 && e.connections() >= 3);
    List<String> refused = egress.lastRefusals().stream().map(EgressRefusal::reason).toList();
    assertTrue(
        refused.stream().anyMatch(r -> r.contains("denied.kindling.test")), refused.toString());
    assertTrue(
        refused.stream().anyMatch(r -> r.contains("private.kindling.test")), refused.toString());
    assertTrue(egress.bytesFromGuest() > 0 && egress.bytesToGuest() > 0, egress.toString());
    return ready.vmId();
  }

  private static void aKilledWorkersSuccessorServesTheRunningVmsEgressAgain(String vmId)
      throws Exception {
    String namespace = GuestNetwork.namespaceFor(vmId);
    assertEquals("ping", tunnelFrom(namespace), "egress works before the kill");
    firstWorker.destroyForcibly(); // SIGKILL: no shutdown hook closes anything
    firstWorker.waitFor();
    assertThrows(
        ConnectException.class, () -> tunnelFrom(namespace), "the listener died with its worker");

    workers.start("second", workerJvmOptions, workerSettings);
    assertEquals(
        "ping",
        Await.until(
            "the new worker to serve the VM's egress again",
            Duration.ofMinutes(1),
            () -> tunnelFrom(namespace),
            "ping"::equals,
            IOException.class));
  }

  private static void theBrowserShowsAnAllowedPageAndARefusal() throws Exception {
    int http = internet.httpPort();
    String session = E2e.session("egress-browser");
    sessions.add(session);
    String denied = "http://denied.kindling.test:" + http + "/hello";
    client.startVm(
        new VmRequest(
            session,
            null,
            BootMode.AUTO,
            900,
            0,
            0,
            0,
            "browser",
            new Launch("http://" + ALLOWED + ":" + http + "/page.html?" + denied, List.of()),
            List.of(ALLOWED + ":" + http)));
    VmDescription ready = awaitReady(session);
    // The refused frame loads after the page: wait for the refusal page's whole band (900 x 48
    // pixels less its text, over 3 % of the screen; noVNC may show a half-drawn update before),
    // then for its reason under the band, which the browser may paint a moment later.
    BufferedImage shown = null;
    for (int attempt = 0; attempt < 3 && reasonPixels(shown) < REASON_PIXELS; attempt++) {
      shown =
          Screenshots.desktop(
              proxy,
              session,
              Screenshots.ARTEFACTS.resolve("egress-browser.png"),
              REFUSAL_BAND,
              0.03);
    }
    assertTrue(
        reasonPixels(shown) >= REASON_PIXELS,
        "the refusal page's reason is on screen under its band: "
            + reasonPixels(shown)
            + " dark pixels");
    assertTrue(
        Screenshots.share(shown, TestInternet.PAGE_COLOUR) > 0.4,
        "the allowed page fills the screen: " + Screenshots.share(shown, TestInternet.PAGE_COLOUR));
    assertTrue(
        Screenshots.share(shown, REFUSAL_BAND) > 0.03,
        "the frame shows the egress proxy's refusal page: "
            + Screenshots.share(shown, REFUSAL_BAND));
    EgressReport egress =
        Await.until(
            "the refused frame in describe",
            Duration.ofSeconds(90),
            () -> client.describe(session).egress(),
            e ->
                e != null
                    && e.lastRefusals().stream().anyMatch(r -> r.reason().contains("denied")));
    assertEquals(List.of(ALLOWED + ":" + http), egress.rules());
    end(session, ready.vmId());
  }

  /**
   * Dark pixels in the refusal frame's white body (the page's 900 x 260 frame at 40, 136, below its
   * 48-pixel band): its reason's text. 0 before the first screenshot.
   */
  private static long reasonPixels(BufferedImage shown) {
    if (shown == null) {
      return 0;
    }
    BufferedImage body = shown.getSubimage(40, 136 + 48, 900, 260 - 48);
    return Screenshots.count(
        body,
        p -> Screenshots.red(p) < 96 && Screenshots.green(p) < 96 && Screenshots.blue(p) < 96);
  }

  /**
   * The probe as the terminal's command: xterm runs python3 on the script, which travels hex-coded
   * in launch arguments of at most 1024 characters each.
   */
  private static List<String> probeArgs(int http, int echo) throws IOException {
    byte[] script;
    try (InputStream in = EgressE2eTest.class.getResourceAsStream("/egress/probe.py")) {
      script = in.readAllBytes();
    }
    String hex = HexFormat.of().formatHex(script);
    List<String> args =
        new ArrayList<>(
            List.of(
                "-e",
                "python3",
                "-c",
                "import sys; exec(bytes.fromhex(''.join(sys.argv[3:])).decode())",
                Integer.toString(http),
                Integer.toString(echo)));
    for (int i = 0; i < hex.length(); i += 1000) {
      args.add(hex.substring(i, Math.min(hex.length(), i + 1000)));
    }
    return args;
  }

  /**
   * A CONNECT to the test's echo server through the VM's egress listener, made from inside the VM's
   * namespace as its guest would: what came back for "ping".
   */
  private static String tunnelFrom(String namespace) throws IOException {
    try (SocketChannel channel =
        NetworkNamespaces.connect(
            namespace,
            new InetSocketAddress(GuestNetwork.HOST_ADDRESS, GuestNetwork.EGRESS_PROXY_PORT),
            Duration.ofSeconds(5))) {
      channel.socket().setSoTimeout(10_000);
      var out = Channels.newOutputStream(channel);
      InputStream in = channel.socket().getInputStream();
      String target = ALLOWED + ":" + internet.echoPort();
      out.write(
          ("CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      String head = readHead(in);
      if (!head.startsWith("HTTP/1.1 200")) {
        return head;
      }
      out.write("ping".getBytes(StandardCharsets.US_ASCII));
      return new String(in.readNBytes(4), StandardCharsets.US_ASCII);
    }
  }

  private static String readHead(InputStream in) throws IOException {
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        break;
      }
      head.append((char) b);
    }
    return head.toString();
  }

  private static VmDescription awaitReady(String session) throws Exception {
    client.awaitReady(session, E2e.READY_WITHIN);
    VmDescription ready = client.describe(session);
    assertEquals(Phase.READY, ready.phase(), ready.toString());
    return ready;
  }

  private static void end(String session, String vmId) throws Exception {
    client.release(session);
    assertEquals(Phase.RELEASED, client.awaitEnd(session).phase());
    E2e.assertNothingLeft(config.paths(), vmId);
  }
}
