package dev.kindling.workflows.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.verifyNoMoreInteractions;
import static org.mockito.Mockito.when;

import dev.kindling.workflows.FailureKind;
import dev.kindling.workflows.Fixtures;
import dev.kindling.workflows.KindlingSearchAttributes;
import dev.kindling.workflows.TaskQueues;
import dev.kindling.workflows.TestCluster;
import dev.kindling.workflows.client.KindlingClient;
import dev.kindling.workflows.egress.EgressRefusal;
import dev.kindling.workflows.egress.EgressReport;
import dev.kindling.workflows.host.AppExit;
import dev.kindling.workflows.host.BootMode;
import dev.kindling.workflows.host.BootRequest;
import dev.kindling.workflows.host.Diagnostics;
import dev.kindling.workflows.host.ImageRef;
import dev.kindling.workflows.host.Launch;
import dev.kindling.workflows.host.NetworkRequest;
import dev.kindling.workflows.host.PlacementRequest;
import dev.kindling.workflows.host.ReadinessReport;
import dev.kindling.workflows.host.ReadinessRequest;
import dev.kindling.workflows.host.StageTiming;
import dev.kindling.workflows.host.VmNetwork;
import dev.kindling.workflows.host.VmRef;
import dev.kindling.workflows.testing.Await;
import io.temporal.activity.Activity;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowStub;
import io.temporal.client.WorkflowUpdateException;
import io.temporal.failure.ApplicationFailure;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mockito.ArgumentCaptor;
import org.mockito.InOrder;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BrowserVmWorkflowTest {
  static final String IMAGE = Fixtures.IMAGE;
  static final ImageRef COLD_IMAGE = Fixtures.COLD_IMAGE;
  static final ImageRef SNAPSHOT_IMAGE = Fixtures.SNAPSHOT_IMAGE;

  private TestCluster cluster;
  private TestCluster.Host h1;
  private KindlingClient kindling;

  @BeforeEach
  void startCluster() {
    cluster = TestCluster.withHosts("h1", "h2").start();
    h1 = cluster.host("h1");
    kindling = new KindlingClient(cluster.client);
  }

  @AfterEach
  void stopCluster() {
    cluster.close();
  }

  static VmDescription awaitPhase(BrowserVmWorkflow vm, Phase... wanted)
      throws InterruptedException {
    return Await.until(
        "phase " + List.of(wanted),
        Duration.ofSeconds(20),
        vm::describe,
        d -> d != null && List.of(wanted).contains(d.phase()));
  }

  private BrowserVmWorkflow vm(String sessionId) {
    return cluster.client.newWorkflowStub(
        BrowserVmWorkflow.class, BrowserVmWorkflow.workflowId(sessionId));
  }

  /**
   * When the workflow closed, in server time. (The test server's clock keeps skipping after a
   * workflow ends, so the environment's current time is no measure of the lease.)
   */
  private long closedAt(String sessionId) {
    return kindling.workflowStub(sessionId).describe().getCloseTime().toEpochMilli();
  }

  /**
   * Like the real readiness check: probe and heartbeat until ready or cancelled (never ready here).
   */
  private void readinessProbesUntilCancelled() {
    doAnswer(
            call -> {
              while (true) {
                Activity.getExecutionContext().heartbeat("probing");
                Thread.sleep(20);
              }
            })
        .when(h1.readiness())
        .awaitReady(any());
  }

  private static ApplicationFailure failureOf(WorkflowFailedException e) {
    return assertInstanceOf(ApplicationFailure.class, e.getCause());
  }

  @Test
  void placementRunsInsideTheFirstWorkflowTaskAndWaitingForReadyAddsNone() throws Exception {
    Fixtures.healthyHost(cluster, "h1", COLD_IMAGE);
    // Update-with-start: the update rides on the first workflow task and is answered in READY's.
    kindling.createVm(VmRequest.forSession("s-tasks"), Duration.ofSeconds(20));

    List<HistoryEvent> events =
        cluster.client.fetchHistory(BrowserVmWorkflow.workflowId("s-tasks")).getEvents();
    List<String> path =
        events.stream()
            .map(
                e ->
                    switch (e.getEventType()) {
                      case EVENT_TYPE_WORKFLOW_TASK_COMPLETED -> "task";
                      case EVENT_TYPE_MARKER_RECORDED -> "marker";
                      case EVENT_TYPE_ACTIVITY_TASK_SCHEDULED ->
                          e.getActivityTaskScheduledEventAttributes().getActivityType().getName();
                      default -> "";
                    })
            .filter(name -> !name.isEmpty())
            .toList();
    // One task starts the workflow, runs placement and asks the host's pool (two local activities'
    // markers, with the version markers of the pool and of the one-step start); one follows each
    // host step: the network and boot together, then readiness. (A template that restarts its app
    // is not watched: no AwaitAppExit.)
    assertEquals(
        List.of(
            "task",
            "marker",
            "marker",
            "marker",
            "marker",
            "StartVm",
            "task",
            "AwaitReady",
            "task"),
        path);
    kindling.release("s-tasks");
    kindling.awaitEnd("s-tasks");
  }

  @Test
  void happyPathPublishesEndpointHoldsLeaseAndTearsDownInOrder() throws Exception {
    Fixtures.healthyHost(cluster, "h1", COLD_IMAGE);
    kindling.startVm(VmRequest.forSession("s-happy"));

    Endpoint endpoint = kindling.awaitReady("s-happy", Duration.ofSeconds(20));
    VmDescription ready = kindling.describe("s-happy");

    assertEquals(Phase.READY, ready.phase());
    assertEquals("h1", ready.hostId());
    assertEquals(IMAGE, ready.imageId());
    assertEquals(Fixtures.TEMPLATE, ready.template(), "the placed image's template");
    assertNull(ready.launch());
    assertEquals("COLD", ready.bootMode());
    assertTrue(ready.vmId().matches("vm[0-9a-f]{10}"), ready.vmId());
    assertEquals(
        new Endpoint(
            "s-happy", "h1", ready.vmId(), "kindling-" + ready.vmId(), "169.254.77.2", 6080, "/"),
        endpoint);
    assertEquals(endpoint, ready.endpoint());
    List<String> stages = ready.timings().stream().map(StageTiming::stage).toList();
    assertEquals(
        List.of(
            "placing",
            "booting/network",
            "vmm-start",
            "booting",
            "readiness/guest-reachable",
            "readiness/agent-health",
            "readiness/tcp-6080",
            "readiness/websocket-upgrade",
            "readiness/rfb-handshake",
            "readiness/desktop",
            "readiness"),
        stages);
    long startedAt =
        ready.leaseExpiresAtEpochMillis() - BrowserVmWorkflowImpl.DEFAULT_TTL.toMillis();
    assertTrue(
        Math.abs(startedAt - cluster.env.currentTimeMillis()) < Duration.ofMinutes(1).toMillis(),
        "lease is one hour");

    WorkflowStub untyped = kindling.workflowStub("s-happy");
    var attributes = untyped.describe().getTypedSearchAttributes();
    assertEquals("READY", attributes.get(KindlingSearchAttributes.PHASE));
    assertEquals("h1", attributes.get(KindlingSearchAttributes.HOST));
    assertEquals(IMAGE, attributes.get(KindlingSearchAttributes.IMAGE));
    assertEquals(Fixtures.TEMPLATE, attributes.get(KindlingSearchAttributes.TEMPLATE));
    assertEquals("s-happy", attributes.get(KindlingSearchAttributes.SESSION));
    assertEquals(Fixtures.TEMPLATE, untyped.describe().getMemo("template", String.class));

    kindling.release("s-happy");
    VmDescription released = kindling.awaitEnd("s-happy");
    assertEquals(Phase.RELEASED, released.phase());

    ArgumentCaptor<NetworkRequest> network = ArgumentCaptor.forClass(NetworkRequest.class);
    ArgumentCaptor<BootRequest> boot = ArgumentCaptor.forClass(BootRequest.class);
    InOrder order = inOrder(cluster.placement, h1.network(), h1.vmm(), h1.readiness());
    order.verify(cluster.placement).place(new PlacementRequest("s-happy", null, null));
    order.verify(h1.network()).createNetwork(network.capture());
    order.verify(h1.vmm()).bootVm(boot.capture());
    order.verify(h1.readiness()).awaitReady(any());
    order
        .verify(h1.vmm())
        .destroyVm(
            new VmRef(boot.getValue().requestId(), ready.vmId(), VmNetwork.standard(ready.vmId())));
    order.verify(h1.network()).deleteNetwork(network.getValue());
    assertEquals(BootMode.COLD, boot.getValue().mode());
    // Zero asks the host for the image's template defaults.
    assertEquals(0, boot.getValue().memoryMib());
    assertEquals(0, boot.getValue().vcpus());
    verifyNoInteractions(cluster.host("h2").network(), cluster.host("h2").vmm());
  }

  @Test
  void theRequestsTemplateReachesPlacementAndItsLaunchReachesReadiness() throws Exception {
    ImageRef browser = new ImageRef("cd".repeat(32), null, "6.12", 1_700_000_100L, "browser");
    Fixtures.healthyHost(cluster, "h1", browser);
    Launch launch = new Launch("https://example.org/app?x=1", List.of("--lang=de"));
    kindling.startVm(
        new VmRequest("s-browser", null, BootMode.AUTO, 0, 0, 2048, 2, "browser", launch, null));

    kindling.awaitReady("s-browser", Duration.ofSeconds(20));
    VmDescription ready = kindling.describe("s-browser");

    verify(cluster.placement).place(new PlacementRequest("s-browser", null, "browser"));
    assertEquals("browser", ready.template());
    assertEquals(browser.imageId(), ready.imageId());
    assertEquals(launch, ready.launch());
    ArgumentCaptor<BootRequest> boot = ArgumentCaptor.forClass(BootRequest.class);
    verify(h1.vmm()).bootVm(boot.capture());
    assertEquals(browser, boot.getValue().image());
    assertEquals(2048, boot.getValue().memoryMib(), "a size the request names is passed on");
    assertEquals(2, boot.getValue().vcpus());
    ArgumentCaptor<ReadinessRequest> readiness = ArgumentCaptor.forClass(ReadinessRequest.class);
    verify(h1.readiness()).awaitReady(readiness.capture());
    assertEquals(launch, readiness.getValue().launch());
    assertEquals(
        new VmRef(boot.getValue().requestId(), ready.vmId(), VmNetwork.standard(ready.vmId())),
        readiness.getValue().vm());
    var attributes = kindling.workflowStub("s-browser").describe().getTypedSearchAttributes();
    assertEquals("browser", attributes.get(KindlingSearchAttributes.TEMPLATE));
    assertEquals(browser.imageId(), attributes.get(KindlingSearchAttributes.IMAGE));
    assertEquals("h1", attributes.get(KindlingSearchAttributes.HOST));

    kindling.release("s-browser");
    assertEquals(Phase.RELEASED, kindling.awaitEnd("s-browser").phase());
  }

  @Test
  void theSessionsEgressReachesTheHostCanonicalAndItsReportShowsInDescribe() throws Exception {
    Fixtures.healthyHost(cluster, "h1", COLD_IMAGE);
    kindling.startVm(
        VmRequest.forSession("s-egress").withEgress(List.of("GitHub.com.", "*.Example.org:8443")));
    kindling.awaitReady("s-egress", Duration.ofSeconds(20));

    ArgumentCaptor<NetworkRequest> network = ArgumentCaptor.forClass(NetworkRequest.class);
    verify(h1.network()).createNetwork(network.capture());
    assertEquals("s-egress", network.getValue().sessionId());
    assertEquals(List.of("github.com:443", "*.example.org:8443"), network.getValue().egress());
    assertNull(vm("s-egress").describe().egress(), "nothing before the host reports");

    EgressReport report =
        new EgressReport(
            List.of("github.com:443", "*.example.org:8443"),
            1,
            3,
            1,
            1200,
            54_000,
            List.of(
                new EgressRefusal(
                    1_700_000_000_000L,
                    "metadata.google.internal",
                    80,
                    403,
                    "metadata.google.internal:80 is not allowed for this session")));
    vm("s-egress").egress(report);
    assertEquals(report, vm("s-egress").describe().egress());
    EgressReport later = new EgressReport(List.of(), 0, 4, 1, 1300, 60_000, report.lastRefusals());
    vm("s-egress").egress(later);
    assertEquals(
        later.withRules(report.rules()),
        vm("s-egress").describe().egress(),
        "a later report without rules keeps the first's");

    kindling.release("s-egress");
    assertEquals(Phase.RELEASED, kindling.awaitEnd("s-egress").phase());
  }

  @Test
  void withoutEgressTheHostAppliesTheTemplatesDefault() throws Exception {
    Fixtures.healthyHost(cluster, "h1", COLD_IMAGE);
    kindling.startVm(VmRequest.forSession("s-default"));
    kindling.awaitReady("s-default", Duration.ofSeconds(20));

    ArgumentCaptor<NetworkRequest> network = ArgumentCaptor.forClass(NetworkRequest.class);
    verify(h1.network()).createNetwork(network.capture());
    assertNull(network.getValue().egress(), "null: the template's default, chosen on the host");
    kindling.release("s-default");
    kindling.awaitEnd("s-default");
  }

  @Test
  void anEmptyLaunchIsNoLaunch() throws Exception {
    Fixtures.healthyHost(cluster, "h1", COLD_IMAGE);
    kindling.startVm(VmRequest.forSession("s-empty-launch").withLaunch(new Launch(null, null)));
    kindling.awaitReady("s-empty-launch", Duration.ofSeconds(20));

    ArgumentCaptor<ReadinessRequest> readiness = ArgumentCaptor.forClass(ReadinessRequest.class);
    verify(h1.readiness()).awaitReady(readiness.capture());
    assertNull(readiness.getValue().launch());
    assertNull(kindling.describe("s-empty-launch").launch());
    kindling.release("s-empty-launch");
    kindling.awaitEnd("s-empty-launch");
  }

  @Test
  void anImageWithoutTemplateLeavesTheTemplateEmpty() throws Exception {
    ImageRef legacy = new ImageRef(IMAGE, null, "6.12", 1_700_000_000L, null);
    Fixtures.healthyHost(cluster, "h1", legacy);
    kindling.startVm(VmRequest.forSession("s-legacy"));
    kindling.awaitReady("s-legacy", Duration.ofSeconds(20));

    assertNull(kindling.describe("s-legacy").template());
    WorkflowStub untyped = kindling.workflowStub("s-legacy");
    assertEquals(
        "", untyped.describe().getTypedSearchAttributes().get(KindlingSearchAttributes.TEMPLATE));
    assertNull(untyped.describe().getMemo("template", String.class));
    kindling.release("s-legacy");
    kindling.awaitEnd("s-legacy");
  }

  @Test
  void autoBootModeRestoresWhenTheImageHasASnapshot() throws Exception {
    Fixtures.healthyHost(cluster, "h2", SNAPSHOT_IMAGE);
    kindling.startVm(VmRequest.forSession("s-restore"));
    kindling.awaitReady("s-restore", Duration.ofSeconds(20));

    ArgumentCaptor<BootRequest> boot = ArgumentCaptor.forClass(BootRequest.class);
    verify(cluster.host("h2").vmm()).bootVm(boot.capture());
    assertEquals(BootMode.RESTORE, boot.getValue().mode());
    assertEquals("snap-1", boot.getValue().image().snapshotId());
    ArgumentCaptor<ReadinessRequest> readiness = ArgumentCaptor.forClass(ReadinessRequest.class);
    verify(cluster.host("h2").readiness()).awaitReady(readiness.capture());
    assertEquals(
        BrowserVmWorkflowImpl.RESTORE_READINESS_DEADLINE.toMillis(),
        readiness.getValue().timeoutMillis());
    verifyNoInteractions(h1.network(), h1.vmm(), h1.readiness());
    kindling.release("s-restore");
    assertEquals(Phase.RELEASED, kindling.awaitEnd("s-restore").phase());
  }

  @Test
  void networkFailureDeletesTheNetworkWithTheSameRequestIdAndBootsNothing() {
    Fixtures.healthyHost(cluster, "h1", COLD_IMAGE);
    doThrow(
            FailureKind.OWNERSHIP_CONFLICT.failure(
                "namespace kindling-vm0 belongs to another request"))
        .when(h1.network())
        .createNetwork(any());
    kindling.startVm(VmRequest.forSession("s-net"));

    WorkflowFailedException failed =
        assertThrows(WorkflowFailedException.class, () -> kindling.awaitEnd("s-net"));

    assertEquals("OwnershipConflict", failureOf(failed).getType());
    ArgumentCaptor<NetworkRequest> created = ArgumentCaptor.forClass(NetworkRequest.class);
    verify(h1.network()).createNetwork(created.capture());
    verify(h1.network()).deleteNetwork(created.getValue());
    verifyNoMoreInteractions(h1.network());
    // The network and the boot are one host step, so both compensations were registered before it
    // ran:
    // destroying a VM that never booted finds nothing and succeeds.
    verify(h1.vmm(), never()).bootVm(any());
    verify(h1.vmm()).destroyVm(any());
    verifyNoInteractions(h1.readiness());
    VmDescription described = kindling.describe("s-net");
    assertEquals(Phase.FAILED, described.phase());
    assertEquals("OwnershipConflict", described.failureType());
  }

  @Test
  void bootFailureDestroysTheVmThenDeletesTheNetwork() {
    Fixtures.healthyHost(cluster, "h1", COLD_IMAGE);
    doThrow(FailureKind.VMM_FAILED_TO_START.failure("qemu exited with status 1"))
        .when(h1.vmm())
        .bootVm(any());
    kindling.startVm(VmRequest.forSession("s-boot"));

    WorkflowFailedException failed =
        assertThrows(WorkflowFailedException.class, () -> kindling.awaitEnd("s-boot"));

    assertEquals("VmmFailedToStart", failureOf(failed).getType());
    ArgumentCaptor<NetworkRequest> network = ArgumentCaptor.forClass(NetworkRequest.class);
    ArgumentCaptor<BootRequest> boot = ArgumentCaptor.forClass(BootRequest.class);
    InOrder order = inOrder(h1.network(), h1.vmm());
    order.verify(h1.network()).createNetwork(network.capture());
    order.verify(h1.vmm()).bootVm(boot.capture());
    String vmId = boot.getValue().vmId();
    order
        .verify(h1.vmm())
        .destroyVm(new VmRef(boot.getValue().requestId(), vmId, VmNetwork.standard(vmId)));
    order.verify(h1.network()).deleteNetwork(network.getValue());
    verifyNoMoreInteractions(h1.network(), h1.vmm());
    verifyNoInteractions(h1.readiness());
    assertEquals(Phase.FAILED, kindling.describe("s-boot").phase());
  }

  @Test
  void readinessFailureIsTypedCarriesDiagnosticsAndCompensatesEverything() {
    Fixtures.healthyHost(cluster, "h1", COLD_IMAGE);
    Diagnostics evidence =
        new Diagnostics(
            "vm0000000000",
            "tcp-6080",
            "connection refused",
            "websockify.service failed",
            "tap0 UP",
            "169.254.77.1/30",
            "",
            "169.254.77.2 REACHABLE",
            "novnc.service failed",
            null,
            null,
            null,
            null);
    doThrow(FailureKind.WEBSOCKIFY_REFUSED.failure("169.254.77.2:6080 refused", evidence))
        .when(h1.readiness())
        .awaitReady(any());
    kindling.startVm(VmRequest.forSession("s-ready"));

    WorkflowFailedException failed =
        assertThrows(WorkflowFailedException.class, () -> kindling.awaitEnd("s-ready"));

    ApplicationFailure failure = failureOf(failed);
    assertEquals("WebsockifyRefused", failure.getType());
    assertEquals(evidence, failure.getDetails().get(0, Diagnostics.class));
    ArgumentCaptor<NetworkRequest> network = ArgumentCaptor.forClass(NetworkRequest.class);
    ArgumentCaptor<BootRequest> boot = ArgumentCaptor.forClass(BootRequest.class);
    InOrder order = inOrder(h1.network(), h1.vmm(), h1.readiness());
    order.verify(h1.network()).createNetwork(network.capture());
    order.verify(h1.vmm()).bootVm(boot.capture());
    order.verify(h1.readiness()).awaitReady(any());
    String vmId = boot.getValue().vmId();
    order
        .verify(h1.vmm())
        .destroyVm(new VmRef(boot.getValue().requestId(), vmId, VmNetwork.standard(vmId)));
    order.verify(h1.network()).deleteNetwork(network.getValue());
    verifyNoMoreInteractions(h1.network(), h1.vmm(), h1.readiness());
    VmDescription described = kindling.describe("s-ready");
    assertEquals(Phase.FAILED, described.phase());
    assertEquals("WebsockifyRefused", described.failureType());
    assertTrue(
        described.failureMessage().contains("169.254.77.2:6080 refused"),
        described.failureMessage());
  }

  @Test
  void placementFailureNeedsNoCompensation() {
    when(cluster.placement.place(any()))
        .thenThrow(FailureKind.UNKNOWN_IMAGE.failure("no host has image " + IMAGE));
    kindling.startVm(new VmRequest("s-place", IMAGE, BootMode.AUTO, 0, 0, 0, 0, null, null, null));

    WorkflowFailedException failed =
        assertThrows(WorkflowFailedException.class, () -> kindling.awaitEnd("s-place"));

    assertEquals("UnknownImage", failureOf(failed).getType());
    verifyNoInteractions(h1.network(), h1.vmm(), h1.readiness());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "with space",
        "a/b",
        "../etc",
        "x12345678901234567890123456789012345678901234567890123456789012345",
        "-leading-dash"
      })
  void invalidSessionIdFailsTypedBeforeAnyActivity(String sessionId) {
    // The client refuses such ids itself, so start the workflow the way any backend could.
    WorkflowStub stub =
        cluster.client.newUntypedWorkflowStub(
            BrowserVmWorkflow.WORKFLOW_TYPE,
            io.temporal.client.WorkflowOptions.newBuilder()
                .setWorkflowId("bad-session")
                .setTaskQueue(TaskQueues.SHARED)
                .build());
    stub.start(VmRequest.forSession(sessionId));

    WorkflowFailedException failed =
        assertThrows(WorkflowFailedException.class, () -> stub.getResult(VmDescription.class));

    ApplicationFailure failure = failureOf(failed);
    assertEquals(FailureKind.INVALID_INPUT.type(), failure.getType());
    assertTrue(failure.getOriginalMessage().startsWith("sessionId"), failure.getOriginalMessage());
    verifyNoInteractions(cluster.allMocks());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "ttl",
        "idle",
        "image",
        "memory",
        "vcpus",
        "ttlTooLong",
        "template",
        "launchUrl",
        "launchArg",
        "egressAddress",
        "egressTld",
        "egressNullEntry"
      })
  void invalidRequestFieldsFailTypedBeforeAnyActivity(String field) {
    VmRequest request =
        switch (field) {
          case "ttl" -> new VmRequest("s-bad", null, null, -5, 0, 0, 0, null, null, null);
          case "idle" -> new VmRequest("s-bad", null, null, 0, -1, 0, 0, null, null, null);
          case "image" -> new VmRequest("s-bad", "not-a-hash", null, 0, 0, 0, 0, null, null, null);
          case "memory" -> new VmRequest("s-bad", null, null, 0, 0, 64, 0, null, null, null);
          case "vcpus" -> new VmRequest("s-bad", null, null, 0, 0, 0, -2, null, null, null);
          case "template" -> VmRequest.forSession("s-bad").withTemplate("Bad Template");
          case "launchUrl" ->
              VmRequest.forSession("s-bad").withLaunch(new Launch("file:///etc/passwd", List.of()));
          case "egressAddress" ->
              VmRequest.forSession("s-bad").withEgress(List.of("github.com", "169.254.169.254:80"));
          case "egressTld" -> VmRequest.forSession("s-bad").withEgress(List.of("*.com"));
          case "egressNullEntry" ->
              VmRequest.forSession("s-bad").withEgress(java.util.Arrays.asList("github.com", null));
          case "launchArg" ->
              VmRequest.forSession("s-bad")
                  .withLaunch(new Launch(null, List.of("ok", "line\nbreak")));
          default ->
              new VmRequest(
                  "s-bad", null, null, Duration.ofDays(2).toSeconds(), 0, 0, 0, null, null, null);
        };
    kindling.startVm(request);

    WorkflowFailedException failed =
        assertThrows(WorkflowFailedException.class, () -> kindling.awaitEnd("s-bad"));

    assertEquals(FailureKind.INVALID_INPUT.type(), failureOf(failed).getType());
    assertEquals(Phase.FAILED, kindling.describe("s-bad").phase());
    verifyNoInteractions(cluster.allMocks());
  }

  @Test
  void anAppThatExitsUnderReleaseOnExitEndsTheLease() throws Exception {
    Fixtures.healthyHost(cluster, "h1", COLD_IMAGE);
    when(h1.readiness().awaitReady(any()))
        .thenReturn(
            new ReadinessReport(
                List.of(new StageTiming("desktop", 40)), 40, 1280, 800, "kindling", "release"));
    when(h1.readiness().awaitAppExit(any()))
        .thenReturn(new AppExit(true, "exited with status 0; unit inactive"));
    kindling.startVm(new VmRequest("s-app-exit", null, null, 3600, 0, 0, 0, null, null, null));

    VmDescription ended = kindling.awaitEnd("s-app-exit");

    assertEquals(Phase.RELEASED, ended.phase());
    assertEquals(
        "APP_EXITED",
        kindling.workflowStub("s-app-exit").describe().getMemo("leaseEnd", String.class));
    assertEquals(
        "exited with status 0; unit inactive",
        kindling.workflowStub("s-app-exit").describe().getMemo("appExit", String.class));
    ArgumentCaptor<VmRef> watched = ArgumentCaptor.forClass(VmRef.class);
    verify(h1.readiness()).awaitAppExit(watched.capture());
    assertEquals(ended.vmId(), watched.getValue().vmId());
    verify(h1.vmm()).destroyVm(any());
    verify(h1.network()).deleteNetwork(any());
  }

  @Test
  void ttlExpiryTearsDownByTimeSkipping() throws Exception {
    Fixtures.healthyHost(cluster, "h1", COLD_IMAGE);
    kindling.startVm(new VmRequest("s-ttl", null, null, 600, 0, 0, 0, null, null, null));
    kindling.awaitReady("s-ttl", Duration.ofSeconds(20));
    long readyAt = cluster.env.currentTimeMillis();

    VmDescription ended = kindling.awaitEnd("s-ttl");

    assertEquals(Phase.RELEASED, ended.phase());
    long held = closedAt("s-ttl") - readyAt;
    assertTrue(held >= 599_000 && held < 3_600_000, "held " + held + " ms");
    assertEquals(
        "EXPIRED", kindling.workflowStub("s-ttl").describe().getMemo("leaseEnd", String.class));
    verify(h1.vmm()).destroyVm(any());
    verify(h1.network()).deleteNetwork(any());
  }

  @Test
  void idleTimeoutEndsTheLeaseBeforeTheTtl() throws Exception {
    Fixtures.healthyHost(cluster, "h1", COLD_IMAGE);
    kindling.startVm(new VmRequest("s-idle", null, null, 3600, 120, 0, 0, null, null, null));
    kindling.awaitReady("s-idle", Duration.ofSeconds(20));
    long readyAt = cluster.env.currentTimeMillis();

    VmDescription ended = kindling.awaitEnd("s-idle");

    assertEquals(Phase.RELEASED, ended.phase());
    long held = closedAt("s-idle") - readyAt;
    assertTrue(held >= 119_000 && held < 3_600_000, "held " + held + " ms");
    assertEquals(
        "IDLE", kindling.workflowStub("s-idle").describe().getMemo("leaseEnd", String.class));
  }

  @Test
  void extendRestartsTheIdleTimer() throws Exception {
    Fixtures.healthyHost(cluster, "h1", COLD_IMAGE);
    kindling.startVm(new VmRequest("s-idle2", null, null, 3600, 120, 0, 0, null, null, null));
    kindling.awaitReady("s-idle2", Duration.ofSeconds(20));
    cluster.env.sleep(Duration.ofSeconds(100));
    long extendedAt = cluster.env.currentTimeMillis();
    kindling.extend("s-idle2", Duration.ofMinutes(30));

    kindling.awaitEnd("s-idle2");

    long held = closedAt("s-idle2") - extendedAt;
    assertTrue(
        held >= 119_000 && held < 3_600_000,
        "the idle timer restarted at extend; held " + held + " ms");
  }

  @Test
  void inputRestartsTheIdleTimerAndViewersShowInDescribe() throws Exception {
    Fixtures.healthyHost(cluster, "h1", COLD_IMAGE);
    kindling.startVm(new VmRequest("s-input", null, null, 3600, 120, 0, 0, null, null, null));
    kindling.awaitReady("s-input", Duration.ofSeconds(20));
    BrowserVmWorkflow vm = vm("s-input");
    vm.viewers(new Viewers(2, "connection 7"));
    VmDescription before = vm.describe();
    assertEquals(new Viewers(2, "connection 7"), before.viewers());
    cluster.env.sleep(Duration.ofSeconds(100));
    long typedAt = cluster.env.currentTimeMillis();
    vm.input();
    VmDescription stillReady = vm.describe();
    assertEquals(Phase.READY, stillReady.phase());
    assertEquals(
        before.leaseExpiresAtEpochMillis(),
        stillReady.leaseExpiresAtEpochMillis(),
        "input moves the idle timer, not the expiry");

    kindling.awaitEnd("s-input");

    long held = closedAt("s-input") - typedAt;
    assertTrue(
        held >= 119_000 && held < 3_600_000,
        "the idle timer restarted at the input; held " + held + " ms after it");
    assertEquals(
        "IDLE", kindling.workflowStub("s-input").describe().getMemo("leaseEnd", String.class));
  }

  @Test
  void extendIsValidatedAndMovesTheExpiry() throws Exception {
    Fixtures.healthyHost(cluster, "h1", COLD_IMAGE);
    kindling.startVm(VmRequest.forSession("s-extend"));
    kindling.awaitReady("s-extend", Duration.ofSeconds(20));
    BrowserVmWorkflow vm = vm("s-extend");
    long before = vm.describe().leaseExpiresAtEpochMillis();

    for (long bad : new long[] {-5, 0, BrowserVmWorkflowImpl.MAX_LEASE.toSeconds() + 1}) {
      assertThrows(WorkflowUpdateException.class, () -> vm.extend(bad), "extend(" + bad + ")");
    }
    assertEquals(before, vm.describe().leaseExpiresAtEpochMillis());

    long expiry = vm.extend(Duration.ofHours(3).toSeconds());
    assertTrue(expiry > before, "expiry moved");
    assertEquals(expiry, vm.describe().leaseExpiresAtEpochMillis());
    vm.release();
    assertEquals(Phase.RELEASED, kindling.awaitEnd("s-extend").phase());
  }

  @Test
  void extendIsRejectedWhileNotReady() throws Exception {
    Fixtures.healthyHost(cluster, "h1", COLD_IMAGE);
    CountDownLatch readinessMayFinish = new CountDownLatch(1);
    ReadinessReport report = new ReadinessReport(List.of(), 1, 1280, 800, "kindling", null);
    when(h1.readiness().awaitReady(any()))
        .thenAnswer(
            call -> {
              readinessMayFinish.await(20, TimeUnit.SECONDS);
              return report;
            });
    kindling.startVm(VmRequest.forSession("s-early"));
    BrowserVmWorkflow vm = vm("s-early");
    awaitPhase(vm, Phase.READINESS);

    assertThrows(WorkflowUpdateException.class, () -> vm.extend(60));

    readinessMayFinish.countDown();
    awaitPhase(vm, Phase.READY);
    vm.release();
    kindling.awaitEnd("s-early");
  }

  @Test
  void releaseDuringProvisioningCompensatesAndEndsReleased() throws Exception {
    Fixtures.healthyHost(cluster, "h1", COLD_IMAGE);
    readinessProbesUntilCancelled();
    kindling.startVm(VmRequest.forSession("s-early-release"));
    BrowserVmWorkflow vm = vm("s-early-release");
    awaitPhase(vm, Phase.READINESS);

    vm.release();

    assertEquals(Phase.RELEASED, kindling.awaitEnd("s-early-release").phase());
    ArgumentCaptor<NetworkRequest> network = ArgumentCaptor.forClass(NetworkRequest.class);
    ArgumentCaptor<BootRequest> boot = ArgumentCaptor.forClass(BootRequest.class);
    verify(h1.network()).createNetwork(network.capture());
    verify(h1.vmm()).bootVm(boot.capture());
    verify(h1.vmm())
        .destroyVm(
            new VmRef(
                boot.getValue().requestId(),
                boot.getValue().vmId(),
                VmNetwork.standard(boot.getValue().vmId())));
    verify(h1.network()).deleteNetwork(network.getValue());
  }

  @Test
  void cancellationDuringProvisioningCompensatesAndEndsCancelled() throws Exception {
    Fixtures.healthyHost(cluster, "h1", COLD_IMAGE);
    readinessProbesUntilCancelled();
    kindling.startVm(VmRequest.forSession("s-cancel-early"));
    BrowserVmWorkflow vm = vm("s-cancel-early");
    awaitPhase(vm, Phase.READINESS);

    kindling.workflowStub("s-cancel-early").cancel();

    WorkflowFailedException failed =
        assertThrows(WorkflowFailedException.class, () -> kindling.awaitEnd("s-cancel-early"));
    assertInstanceOf(io.temporal.failure.CanceledFailure.class, failed.getCause());
    ArgumentCaptor<NetworkRequest> network = ArgumentCaptor.forClass(NetworkRequest.class);
    ArgumentCaptor<BootRequest> boot = ArgumentCaptor.forClass(BootRequest.class);
    InOrder order = inOrder(h1.network(), h1.vmm(), h1.readiness());
    order.verify(h1.network()).createNetwork(network.capture());
    order.verify(h1.vmm()).bootVm(boot.capture());
    order.verify(h1.readiness()).awaitReady(any());
    String vmId = boot.getValue().vmId();
    order
        .verify(h1.vmm())
        .destroyVm(new VmRef(boot.getValue().requestId(), vmId, VmNetwork.standard(vmId)));
    order.verify(h1.network()).deleteNetwork(network.getValue());
    VmDescription described = kindling.describe("s-cancel-early");
    assertEquals(Phase.FAILED, described.phase());
    assertEquals(FailureKind.CANCELLED.type(), described.failureType());
  }

  @Test
  void startIsIdempotentPerSession() throws Exception {
    Fixtures.healthyHost(cluster, "h1", COLD_IMAGE);
    WorkflowExecution first = kindling.startVm(VmRequest.forSession("s-twice"));
    WorkflowExecution second = kindling.startVm(VmRequest.forSession("s-twice"));

    assertEquals(first.getRunId(), second.getRunId());
    kindling.awaitReady("s-twice", Duration.ofSeconds(20));
    verify(cluster.placement).place(any());
    verify(h1.vmm()).bootVm(any());
    kindling.release("s-twice");
    kindling.awaitEnd("s-twice");

    WorkflowExecution afterRelease = kindling.startVm(VmRequest.forSession("s-twice"));
    assertTrue(
        !afterRelease.getRunId().equals(first.getRunId()), "a released session may start a new VM");
    kindling.release("s-twice");
  }

  @Test
  void cancellationWhileReadyTearsDown() throws Exception {
    Fixtures.healthyHost(cluster, "h1", COLD_IMAGE);
    kindling.startVm(VmRequest.forSession("s-cancel"));
    kindling.awaitReady("s-cancel", Duration.ofSeconds(20));

    kindling.workflowStub("s-cancel").cancel();

    assertThrows(WorkflowFailedException.class, () -> kindling.awaitEnd("s-cancel"));
    verify(h1.vmm()).destroyVm(any());
    verify(h1.network()).deleteNetwork(any());
    verify(h1.vmm(), never()).snapshotVm(any());
  }
}
