package dev.kindling.worker.shared;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;
import static org.mockito.Mockito.withSettings;

import dev.kindling.workflows.KindlingSearchAttributes;
import dev.kindling.workflows.TaskQueues;
import dev.kindling.workflows.client.KindlingClient;
import dev.kindling.workflows.host.BootRequest;
import dev.kindling.workflows.host.ImageRef;
import dev.kindling.workflows.host.NetworkActivities;
import dev.kindling.workflows.host.NetworkRequest;
import dev.kindling.workflows.host.ReadinessActivities;
import dev.kindling.workflows.host.ReadinessReport;
import dev.kindling.workflows.host.VmHandle;
import dev.kindling.workflows.host.VmNetwork;
import dev.kindling.workflows.host.VmmActivities;
import dev.kindling.workflows.vm.BrowserVmWorkflowImpl;
import dev.kindling.workflows.vm.Phase;
import dev.kindling.workflows.vm.VmDescription;
import dev.kindling.workflows.vm.VmRequest;
import io.temporal.client.WorkflowClient;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The shared-queue activities that read Temporal, against real BrowserVm workflows on the
 * in-memory server (host activities mocked).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LivenessAndRetirementTest {
  static final ImageRef OLD = PlacementActivitiesImplTest.OLD;
  static final ImageRef NEW = PlacementActivitiesImplTest.NEW;
  static final ImageRef BROWSER = PlacementActivitiesImplTest.BROWSER;

  private TestWorkflowEnvironment env;
  private WorkflowClient client;
  private KindlingClient kindling;
  private final MapHostDirectory directory = new MapHostDirectory().with("h1", OLD, NEW, BROWSER);

  @BeforeEach
  void start() {
    env = TestWorkflowEnvironment.newInstance();
    for (var key : KindlingSearchAttributes.all()) {
      env.registerSearchAttribute(key.getName(), key.getValueType());
    }
    client = env.getWorkflowClient();
    Worker shared = env.newWorker(TaskQueues.SHARED);
    shared.registerWorkflowImplementationTypes(BrowserVmWorkflowImpl.class);
    shared.registerActivitiesImplementations(new PlacementActivitiesImpl(directory));
    NetworkActivities network = mock(NetworkActivities.class, withSettings().withoutAnnotations());
    VmmActivities vmm = mock(VmmActivities.class, withSettings().withoutAnnotations());
    ReadinessActivities readiness = mock(ReadinessActivities.class, withSettings().withoutAnnotations());
    when(network.createNetwork(any())).thenAnswer(c -> VmNetwork.standard(c.<NetworkRequest>getArgument(0).vmId()));
    when(vmm.bootVm(any()))
        .thenAnswer(c -> {
          BootRequest boot = c.getArgument(0);
          return new VmHandle(boot.vmId(), "qemu", "tcg", 1, "/run/kindling/vms/" + boot.vmId(), "serial.log", boot.mode(), 0, 1);
        });
    when(readiness.awaitReady(any())).thenReturn(new ReadinessReport(List.of(), 1, 1280, 800, "kindling", null));
    env.newWorker(TaskQueues.forHost("h1")).registerActivitiesImplementations(network, vmm, readiness);
    env.start();
    kindling = new KindlingClient(client);
  }

  @AfterEach
  void stop() {
    env.close();
  }

  private VmDescription ready(String sessionId, String imageId) throws Exception {
    return ready(sessionId, imageId, null);
  }

  private VmDescription ready(String sessionId, String imageId, String template) throws Exception {
    kindling.startVm(new VmRequest(sessionId, imageId, null, 0, 0, 0, 0, template, null));
    kindling.awaitReady(sessionId, Duration.ofSeconds(20));
    return kindling.describe(sessionId);
  }

  @Test
  void liveOnlyWhileTheSessionsWorkflowRunsAndOwnsThatVm() throws Exception {
    LivenessActivitiesImpl liveness = new LivenessActivitiesImpl(client, directory);
    VmDescription vm = ready("s-live", null);

    assertTrue(liveness.isLive("s-live", vm.vmId()));
    assertFalse(liveness.isLive("s-live", "vm0000000000"), "another VM of the same session is an orphan");
    assertFalse(liveness.isLive("s-never", vm.vmId()), "no workflow");
    assertEquals(List.of("h1"), liveness.knownHosts());
    assertTrue(liveness.isRunning("browser-vm-s-live"));
    assertFalse(liveness.isRunning(dev.kindling.workflows.image.GoldenImageWorkflow.workflowId("h1", null)));

    kindling.release("s-live");
    assertEquals(Phase.RELEASED, kindling.awaitEnd("s-live").phase());
    assertFalse(liveness.isLive("s-live", vm.vmId()), "a finished workflow owns nothing");
    assertFalse(liveness.isRunning("browser-vm-s-live"));
  }

  @Test
  void leasesPastTheirExpiryAreReleasedOthersKept() throws Exception {
    VmDescription vm = ready("s-lease", null);
    Instant afterExpiry = Instant.ofEpochMilli(vm.leaseExpiresAtEpochMillis() + LivenessActivitiesImpl.EXPIRY_GRACE_MILLIS + 1);

    assertEquals(0, new LivenessActivitiesImpl(client, directory, Clock.fixed(Instant.ofEpochMilli(vm.leaseExpiresAtEpochMillis()), ZoneOffset.UTC)).endExpiredLeases());
    assertEquals(1, new LivenessActivitiesImpl(client, directory, Clock.fixed(afterExpiry, ZoneOffset.UTC)).endExpiredLeases());

    assertEquals(Phase.RELEASED, kindling.awaitEnd("s-lease").phase());
  }

  @Test
  void retirementReleasesVmsOnOlderImagesOnly() throws Exception {
    ready("s-old", OLD.imageId());
    ready("s-new", NEW.imageId());

    int retired = new RetirementActivitiesImpl(client).retireOlderThan("h1", NEW.imageId(), "terminal");

    assertEquals(1, retired);
    assertEquals(Phase.RELEASED, kindling.awaitEnd("s-old").phase());
    assertEquals(Phase.READY, kindling.describe("s-new").phase());
    assertEquals(0, new RetirementActivitiesImpl(client).retireOlderThan("h2", OLD.imageId(), "terminal"), "other hosts untouched");
    kindling.release("s-new");
  }

  @Test
  void retirementLeavesVmsOfOtherTemplatesAlone() throws Exception {
    VmDescription terminal = ready("s-terminal", OLD.imageId());
    VmDescription browser = ready("s-browser", null, "browser");
    assertEquals("terminal", terminal.template());
    assertEquals("browser", browser.template());
    assertEquals(BROWSER.imageId(), browser.imageId());
    RetirementActivitiesImpl retirement = new RetirementActivitiesImpl(client);

    assertEquals(0, retirement.retireOlderThan("h1", BROWSER.imageId(), "browser"), "the browser VM runs the browser's current image");
    assertEquals(1, retirement.retireOlderThan("h1", NEW.imageId(), "terminal"));

    assertEquals(Phase.RELEASED, kindling.awaitEnd("s-terminal").phase());
    assertEquals(Phase.READY, kindling.describe("s-browser").phase(), "another template's image is not older, it is other");
    kindling.release("s-browser");
  }

  @Test
  void retirementRefusesAnInvalidTemplate() {
    io.temporal.failure.ApplicationFailure failure = org.junit.jupiter.api.Assertions.assertThrows(
        io.temporal.failure.ApplicationFailure.class,
        () -> new RetirementActivitiesImpl(client).retireOlderThan("h1", NEW.imageId(), "../terminal"));
    assertEquals(dev.kindling.workflows.FailureKind.INVALID_INPUT.type(), failure.getType());
  }
}
