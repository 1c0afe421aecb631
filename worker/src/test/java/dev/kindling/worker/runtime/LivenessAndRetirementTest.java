package dev.kindling.worker.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;
import static org.mockito.Mockito.withSettings;

import dev.kindling.activities.shared.HostRecords;
import dev.kindling.activities.shared.LivenessActivitiesImpl;
import dev.kindling.activities.shared.PlacementActivitiesImpl;
import dev.kindling.activities.shared.RetirementActivitiesImpl;
import dev.kindling.activities.shared.TemporalHostRecords;
import dev.kindling.host.HostPaths;
import dev.kindling.host.TemporalCli;
import dev.kindling.host.testing.HostCapability;
import dev.kindling.host.testing.RequiresHost;
import dev.kindling.worker.config.KindlingConfig;
import dev.kindling.worker.config.Setting;
import dev.kindling.worker.dev.TemporalDevServer;
import dev.kindling.workflows.TaskQueues;
import dev.kindling.workflows.client.KindlingClient;
import dev.kindling.workflows.host.BootRequest;
import dev.kindling.workflows.host.ImageRef;
import dev.kindling.workflows.host.NetworkActivities;
import dev.kindling.workflows.host.NetworkRequest;
import dev.kindling.workflows.host.ReadinessActivities;
import dev.kindling.workflows.host.ReadinessReport;
import dev.kindling.workflows.host.StartedVm;
import dev.kindling.workflows.host.VmHandle;
import dev.kindling.workflows.host.VmNetwork;
import dev.kindling.workflows.host.VmStartActivities;
import dev.kindling.workflows.host.VmmActivities;
import dev.kindling.workflows.testing.Await;
import dev.kindling.workflows.vm.BrowserVmWorkflowImpl;
import dev.kindling.workflows.vm.Phase;
import dev.kindling.workflows.vm.VmDescription;
import dev.kindling.workflows.vm.VmRequest;
import io.temporal.client.WorkflowClient;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shared-queue activities that read Temporal (visibility queries among them), against real
 * BrowserVm workflows on a Temporal CLI dev server (host activities mocked).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@RequiresHost(HostCapability.TEMPORAL_CLI)
class LivenessAndRetirementTest {
  static final ImageRef OLD = new ImageRef("0".repeat(64), null, "6.12", 1, "terminal");
  static final ImageRef NEW = new ImageRef("1".repeat(64), "snap", "6.12", 2, "terminal");
  static final ImageRef BROWSER = new ImageRef("2".repeat(64), "snap-b", "6.12", 3, "browser");

  @TempDir Path dir;
  private TemporalDevServer server;
  private TemporalConnection connection;
  private WorkerFactory factory;
  private WorkflowClient client;
  private KindlingClient kindling;
  private HostRecords directory;

  @BeforeEach
  void start() {
    Path cli =
        TemporalCli.find(System.getenv("KINDLING_TEMPORAL_CLI"), HostPaths.fromEnvironment())
            .orElseThrow();
    server =
        TemporalDevServer.start(
            new TemporalDevServer.Options(cli, 0, -1, null, "default", dir.resolve("server.log")));
    connection =
        TemporalConnection.open(
            KindlingConfig.load(null, Map.of(), Map.of(Setting.TEMPORAL_TARGET, server.target())));
    client = connection.client();
    factory = WorkerFactory.newInstance(client);
    Worker shared = factory.newWorker(TaskQueues.SHARED);
    shared.registerWorkflowImplementationTypes(
        BrowserVmWorkflowImpl.class, dev.kindling.workflows.hosts.HostWorkflowImpl.class);
    kindling = new KindlingClient(client);
    directory = new TemporalHostRecords(kindling, Clock.systemUTC());
    shared.registerActivitiesImplementations(
        new PlacementActivitiesImpl(directory, "terminal", Clock.systemUTC()),
        new dev.kindling.workflows.pool.ClientPoolClaims(client));
    NetworkActivities network = mock(NetworkActivities.class, withSettings().withoutAnnotations());
    VmmActivities vmm = mock(VmmActivities.class, withSettings().withoutAnnotations());
    ReadinessActivities readiness =
        mock(ReadinessActivities.class, withSettings().withoutAnnotations());
    when(network.createNetwork(any()))
        .thenAnswer(c -> VmNetwork.standard(c.<NetworkRequest>getArgument(0).vmId()));
    when(vmm.bootVm(any()))
        .thenAnswer(
            c -> {
              BootRequest boot = c.getArgument(0);
              return new VmHandle(
                  boot.vmId(),
                  "qemu",
                  "tcg",
                  1,
                  "/run/kindling/vms/" + boot.vmId(),
                  "serial.log",
                  boot.mode(),
                  0,
                  1);
            });
    when(readiness.awaitReady(any()))
        .thenReturn(new ReadinessReport(List.of(), 1, 1280, 800, "kindling", null));
    VmStartActivities start =
        (networkRequest, boot) -> {
          VmNetwork created = network.createNetwork(networkRequest);
          return new StartedVm(created, vmm.bootVm(boot.withNetwork(created)), 0);
        };
    factory
        .newWorker(TaskQueues.forHost("h1"))
        .registerActivitiesImplementations(network, vmm, readiness, start);
    factory.start();
    // h1 reports as its worker would: its current images, and every image it stores.
    kindling.reportHost(
        new dev.kindling.workflows.hosts.HostReport(
            "h1",
            new dev.kindling.workflows.hosts.HostCapacity(2, 4096, 8),
            0,
            Map.of("terminal", NEW, "browser", BROWSER),
            List.of(OLD, NEW, BROWSER),
            Map.of(),
            "http://127.0.0.1:6090",
            60,
            System.currentTimeMillis()));
  }

  @AfterEach
  void stop() {
    if (factory != null) {
      factory.shutdownNow();
    }
    if (connection != null) {
      connection.close();
    }
    if (server != null) {
      server.close();
    }
  }

  /**
   * Visibility is updated a moment after a workflow's search attributes change: wait until it lists
   * every VM READY.
   */
  private void awaitListed(int running) throws InterruptedException {
    Await.until(
        running + " VMs READY in visibility",
        Duration.ofSeconds(10),
        kindling::list,
        listed -> allReady(listed, running));
  }

  private static boolean allReady(
      List<dev.kindling.workflows.client.VmSummary> listed, int running) {
    return listed.size() == running
        && listed.stream()
            .allMatch(
                vm -> "READY".equals(vm.phase()) && vm.hostId() != null && vm.imageId() != null);
  }

  private VmDescription ready(String sessionId, String imageId) throws Exception {
    return ready(sessionId, imageId, null);
  }

  private VmDescription ready(String sessionId, String imageId, String template) throws Exception {
    return kindling.createVm(
        new VmRequest(sessionId, imageId, null, 0, 0, 0, 0, template, null, null),
        Duration.ofSeconds(20));
  }

  @Test
  void liveOnlyWhileTheSessionsWorkflowRunsAndOwnsThatVm() throws Exception {
    LivenessActivitiesImpl liveness = new LivenessActivitiesImpl(client, directory);
    VmDescription vm = ready("s-live", null);

    assertTrue(liveness.isLive("s-live", vm.vmId()));
    assertFalse(
        liveness.isLive("s-live", "vm0000000000"), "another VM of the same session is an orphan");
    assertFalse(liveness.isLive("s-never", vm.vmId()), "no workflow");
    assertEquals(List.of("h1"), liveness.knownHosts());
    assertTrue(liveness.isRunning("browser-vm-s-live"));
    assertFalse(
        liveness.isRunning(
            dev.kindling.workflows.image.GoldenImageWorkflow.workflowId("h1", null)));

    kindling.release("s-live");
    assertEquals(Phase.RELEASED, kindling.awaitEnd("s-live").phase());
    assertFalse(liveness.isLive("s-live", vm.vmId()), "a finished workflow owns nothing");
    assertFalse(liveness.isRunning("browser-vm-s-live"));
  }

  @Test
  void leasesPastTheirExpiryAreReleasedOthersKept() throws Exception {
    VmDescription vm = ready("s-lease", null);
    awaitListed(1);
    Instant afterExpiry =
        Instant.ofEpochMilli(
            vm.leaseExpiresAtEpochMillis() + LivenessActivitiesImpl.EXPIRY_GRACE_MILLIS + 1);

    assertEquals(
        0,
        new LivenessActivitiesImpl(
                client,
                directory,
                Clock.fixed(Instant.ofEpochMilli(vm.leaseExpiresAtEpochMillis()), ZoneOffset.UTC))
            .endExpiredLeases());
    assertEquals(
        1,
        new LivenessActivitiesImpl(client, directory, Clock.fixed(afterExpiry, ZoneOffset.UTC))
            .endExpiredLeases());

    assertEquals(Phase.RELEASED, kindling.awaitEnd("s-lease").phase());
  }

  @Test
  void retirementReleasesVmsOnOlderImagesOnly() throws Exception {
    ready("s-old", OLD.imageId());
    ready("s-new", NEW.imageId());
    awaitListed(2);

    int retired =
        new RetirementActivitiesImpl(client).retireOlderThan("h1", NEW.imageId(), "terminal");

    assertEquals(1, retired);
    assertEquals(Phase.RELEASED, kindling.awaitEnd("s-old").phase());
    assertEquals(Phase.READY, kindling.describe("s-new").phase());
    assertEquals(
        0,
        new RetirementActivitiesImpl(client).retireOlderThan("h2", OLD.imageId(), "terminal"),
        "other hosts untouched");
    kindling.release("s-new");
  }

  @Test
  void retirementLeavesVmsOfOtherTemplatesAlone() throws Exception {
    VmDescription terminal = ready("s-terminal", OLD.imageId());
    VmDescription browser = ready("s-browser", null, "browser");
    assertEquals("terminal", terminal.template());
    assertEquals("browser", browser.template());
    assertEquals(BROWSER.imageId(), browser.imageId());
    awaitListed(2);
    RetirementActivitiesImpl retirement = new RetirementActivitiesImpl(client);

    assertEquals(
        0,
        retirement.retireOlderThan("h1", BROWSER.imageId(), "browser"),
        "the browser VM runs the browser's current image");
    assertEquals(1, retirement.retireOlderThan("h1", NEW.imageId(), "terminal"));

    assertEquals(Phase.RELEASED, kindling.awaitEnd("s-terminal").phase());
    assertEquals(
        Phase.READY,
        kindling.describe("s-browser").phase(),
        "another template's image is not older, it is other");
    kindling.release("s-browser");
  }

  @Test
  void retirementRefusesAnInvalidTemplate() {
    io.temporal.failure.ApplicationFailure failure =
        org.junit.jupiter.api.Assertions.assertThrows(
            io.temporal.failure.ApplicationFailure.class,
            () ->
                new RetirementActivitiesImpl(client)
                    .retireOlderThan("h1", NEW.imageId(), "../terminal"));
    assertEquals(dev.kindling.workflows.FailureKind.INVALID_INPUT.type(), failure.getType());
  }
}
