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

import dev.kindling.activities.readiness.ProbeTarget;
import dev.kindling.activities.readiness.VncDesktop;
import dev.kindling.host.VmSecrets;
import dev.kindling.host.rfb.RfbHandshakeException;
import dev.kindling.host.testing.RequiresHost;
import dev.kindling.worker.config.Setting;
import dev.kindling.worker.testing.CurrentImage;
import dev.kindling.workflows.host.BootMode;
import dev.kindling.workflows.host.Launch;
import dev.kindling.workflows.host.VmRef;
import dev.kindling.workflows.hosts.HostRecord;
import dev.kindling.workflows.hosts.HostWorkflow;
import dev.kindling.workflows.pool.PoolPolicy;
import dev.kindling.workflows.pool.PoolState;
import dev.kindling.workflows.pool.PoolWorkflow;
import dev.kindling.workflows.pool.PooledVm;
import dev.kindling.workflows.testing.Await;
import dev.kindling.workflows.vm.Phase;
import dev.kindling.workflows.vm.VmDescription;
import dev.kindling.workflows.vm.VmRequest;
import java.awt.image.BufferedImage;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A warm pool of two terminal VMs and three sessions started at once: two take the pool's VMs, one
 * is restored; each session's page shows its own terminal (its launch gives xterm a background
 * colour of its own), and neither the pool's passwords nor another session's credentials open a
 * session's VM.
 */
@Tag("vm")
@RequiresHost({ROOT, IPROUTE2, TUN, QEMU, BROWSER_E2E, TEMPORAL_CLI, VM_TESTS_ENABLED})
class PoolE2eTest {
  private static final Logger log = LoggerFactory.getLogger(PoolE2eTest.class);
  private static final String TEMPLATE = "terminal";
  private static final List<Integer> COLOURS = List.of(0x7a1f3d, 0x1f7a3d, 0x3d1f7a);

  @RegisterExtension
  static final E2eStack e2e = new E2eStack(Map.of(Setting.POOL_TARGETS, TEMPLATE + "=2"));

  private static PoolWorkflow pool;

  @BeforeAll
  static void poolStub() throws Exception {
    pool =
        e2e.stack()
            .connection()
            .client()
            .newWorkflowStub(
                PoolWorkflow.class,
                PoolWorkflow.workflowId(e2e.stack().config().hostId(), TEMPLATE));
    Files.createDirectories(Screenshots.ARTEFACTS);
  }

  /** Before the stack stops: the pool destroys its VMs (the stack's end destroys what is left). */
  @AfterAll
  static void drainPool() throws Exception {
    if (pool != null) {
      pool.policy(PoolPolicy.DISABLED, 0);
      Await.until(
          "the pool to destroy its VMs",
          Duration.ofMinutes(1),
          () -> E2e.vmDirs(e2e.stack().host().paths()),
          List::isEmpty);
    }
  }

  @Test
  void threeSessionsAtOnceTakeTwoPoolVmsAndOneRestoreAndEachSeesOnlyItsOwnDesktop()
      throws Exception {
    CurrentImage.ensure(e2e.stack(), TEMPLATE);
    PoolState full =
        Await.until(
            "two ready pool VMs", E2e.READY_WITHIN, pool::describe, s -> s.ready().size() == 2);
    String hostId = e2e.stack().config().hostId();
    HostRecord record =
        Await.until(
            "this host's record to show its pool VMs and the template's image",
            Duration.ofSeconds(30),
            () ->
                e2e.client().hosts().stream()
                    .filter(h -> h.hostId().equals(hostId))
                    .findFirst()
                    .orElse(null),
            r ->
                r != null
                    && r.report() != null
                    && r.report().images().containsKey(TEMPLATE)
                    && r.report().runningVms() >= 2);
    assertTrue(record.liveAt(System.currentTimeMillis(), HostWorkflow.STALE_AFTER), "live");
    Map<String, String> poolPasswords = new HashMap<>();
    for (PooledVm vm : full.ready()) {
      poolPasswords.put(vm.vmId(), password(vm.vmId()));
    }

    List<String> sessions = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      sessions.add(E2e.session("pool-" + i));
    }
    List<VmDescription> ready = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        e2e.client()
            .startVm(
                new VmRequest(
                    sessions.get(i),
                    null,
                    BootMode.AUTO,
                    600,
                    0,
                    0,
                    0,
                    TEMPLATE,
                    new Launch(null, List.of("-bg", String.format("#%06x", COLOURS.get(i)))),
                    null));
      }
      for (String session : sessions) {
        e2e.client().awaitReady(session, E2e.READY_WITHIN);
        VmDescription described = e2e.client().describe(session);
        assertEquals(Phase.READY, described.phase(), described.toString());
        ready.add(described);
        log.info(
            "{}: {} {} ({})", session, described.bootMode(), described.vmId(), described.timings());
      }
      Set<String> claimed =
          ready.stream()
              .filter(d -> "POOL".equals(d.bootMode()))
              .map(VmDescription::vmId)
              .collect(Collectors.toSet());
      assertEquals(poolPasswords.keySet(), claimed, "the pool's two VMs were claimed: " + ready);
      assertEquals(
          1, ready.stream().filter(d -> "RESTORE".equals(d.bootMode())).count(), "one restore");

      for (VmDescription mine : ready) {
        String own = password(mine.vmId());
        opens(mine.vmId(), own);
        if (poolPasswords.containsKey(mine.vmId())) {
          assertTrue(!own.equals(poolPasswords.get(mine.vmId())), "fresh secrets at the claim");
          refused(mine.vmId(), poolPasswords.get(mine.vmId()), "the pool's password");
        }
        for (VmDescription other : ready) {
          if (other != mine) {
            refused(other.vmId(), own, "the password of " + mine.sessionId());
            int refusal =
                webSocketRefusal(
                    other.sessionId(), e2e.stack().proxy().tokens().mint(mine.sessionId()));
            assertTrue(
                refusal == 403 || refusal == 4403,
                "a token of "
                    + mine.sessionId()
                    + " opens no desktop of "
                    + other.sessionId()
                    + ": "
                    + refusal);
          }
        }
      }

      for (int i = 0; i < 3; i++) {
        int colour = COLOURS.get(i);
        VmDescription vm = ready.get(i);
        BufferedImage image =
            Screenshots.desktop(
                e2e.stack().proxy(),
                vm.sessionId(),
                Screenshots.ARTEFACTS.resolve(
                    "pool-" + vm.bootMode().toLowerCase() + "-" + i + ".png"),
                colour,
                0.5);
        assertTrue(
            Screenshots.share(image, colour) > 0.5,
            vm.sessionId() + " shows its own terminal: " + Screenshots.share(image, colour));
        for (int other : COLOURS) {
          if (other != colour) {
            assertTrue(
                Screenshots.share(image, other) < 0.01,
                vm.sessionId() + " shows another session's terminal");
          }
        }
      }

      PoolState refilled =
          Await.until(
              "the pool to refill",
              E2e.READY_WITHIN,
              pool::describe,
              s ->
                  s.ready().size() == 2
                      && s.ready().stream().noneMatch(v -> claimed.contains(v.vmId())));
      assertEquals(2, refilled.claims());
      assertEquals(1, refilled.misses());
      assertTrue(
          e2e.client().pools().stream()
              .anyMatch(
                  p ->
                      p.template().equals(TEMPLATE)
                          && p.hostId().equals(e2e.stack().config().hostId())
                          && p.claims() == 2),
          "kindling pool list shows the pool: " + e2e.client().pools());
      URI metrics = e2e.stack().worker().metricsUri().orElseThrow().resolve("/metrics");
      for (String meter :
          List.of(
              "kindling_pool_ready{",
              "kindling_pool_claims_total{",
              "kindling_pool_misses_total{",
              "kindling_pool_refill_latency_seconds_count{",
              "kindling_pool_claim_latency_seconds_count{")) {
        Await.until(
            "the worker's metrics to show " + meter,
            Duration.ofSeconds(30),
            () ->
                HttpClient.newHttpClient()
                    .send(
                        java.net.http.HttpRequest.newBuilder(metrics).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString())
                    .body(),
            body ->
                body.lines()
                    .anyMatch(
                        l -> l.startsWith(meter) && l.contains("template=\"" + TEMPLATE + "\"")));
      }
    } finally {
      for (String session : sessions) {
        E2e.releaseAndAwaitEnd(e2e.stack().connection().client(), session);
      }
    }
    for (VmDescription vm : ready) {
      E2e.assertNothingLeft(e2e.stack().host().paths(), vm.vmId());
    }
  }

  private static String password(String vmId) {
    return VmSecrets.read(e2e.stack().host().paths().vmDir(vmId)).vncPassword();
  }

  private static ProbeTarget target(String vmId, String password) {
    return ProbeTarget.forVm(new VmRef(null, vmId, null), e2e.stack().host().paths(), password);
  }

  private static void opens(String vmId, String password) throws Exception {
    try (VncDesktop desktop = VncDesktop.open(target(vmId, password), Duration.ofSeconds(10))) {
      assertEquals(1280, desktop.serverInit().width());
    }
  }

  private static void refused(String vmId, String password, String whose) {
    assertThrows(
        RfbHandshakeException.class,
        () -> VncDesktop.open(target(vmId, password), Duration.ofSeconds(10)).close(),
        whose + " must not open " + vmId);
  }

  /**
   * How the proxy answers a WebSocket for {@code session} with {@code token}: the HTTP status of a
   * refused upgrade, or the close code of an upgraded socket it closed.
   */
  private static int webSocketRefusal(String session, String token) throws Exception {
    URI uri =
        URI.create(
            e2e.stack()
                    .proxy()
                    .baseUri()
                    .resolve(e2e.stack().proxy().config().websocketPath(session))
                    .toString()
                    .replaceFirst("^http", "ws")
                + "?token="
                + token);
    java.util.concurrent.CompletableFuture<Integer> closed =
        new java.util.concurrent.CompletableFuture<>();
    try {
      HttpClient.newHttpClient()
          .newWebSocketBuilder()
          .subprotocols("binary")
          .buildAsync(
              uri,
              new java.net.http.WebSocket.Listener() {
                @Override
                public java.util.concurrent.CompletionStage<?> onClose(
                    java.net.http.WebSocket webSocket, int statusCode, String reason) {
                  closed.complete(statusCode);
                  return null;
                }
              })
          .get(10, java.util.concurrent.TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof java.net.http.WebSocketHandshakeException refused) {
        return refused.getResponse().statusCode();
      }
      throw e;
    }
    return closed.get(10, java.util.concurrent.TimeUnit.SECONDS);
  }
}
