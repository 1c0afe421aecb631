package dev.kindling.workflows.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;

import dev.kindling.workflows.FailureKind;
import dev.kindling.workflows.Fixtures;
import dev.kindling.workflows.KindlingSearchAttributes;
import dev.kindling.workflows.TaskQueues;
import dev.kindling.workflows.TestCluster;
import dev.kindling.workflows.host.BootMode;
import dev.kindling.workflows.host.BootRequest;
import dev.kindling.workflows.host.ImageRef;
import dev.kindling.workflows.host.NetworkRequest;
import dev.kindling.workflows.host.ReadinessRequest;
import dev.kindling.workflows.host.SnapshotRequest;
import dev.kindling.workflows.host.VmNetwork;
import dev.kindling.workflows.host.VmRef;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.failure.ApplicationFailure;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mockito.ArgumentCaptor;
import org.mockito.InOrder;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GoldenImageWorkflowTest {
  static final String IMAGE = Fixtures.IMAGE;
  static final String TEMPLATE = Fixtures.TEMPLATE;

  private TestCluster cluster;
  private TestCluster.Host h1;

  @BeforeEach
  void startCluster() {
    cluster = TestCluster.withHosts("h1", "h2").start();
    h1 = cluster.host("h1");
    Fixtures.healthyHost(cluster, "h1", Fixtures.COLD_IMAGE);
    when(h1.images().buildImage(any())).thenReturn(Fixtures.COLD_IMAGE);
    when(h1.vmm().snapshotVm(any())).thenReturn("snap-9");
  }

  @AfterEach
  void stopCluster() {
    cluster.close();
  }

  private GoldenImageWorkflow workflow(String hostId) {
    return cluster.client.newWorkflowStub(
        GoldenImageWorkflow.class,
        WorkflowOptions.newBuilder()
            .setWorkflowId(GoldenImageWorkflow.workflowId(hostId, null))
            .setTaskQueue(TaskQueues.SHARED)
            .build());
  }

  @Test
  void passingCanaryIsSnapshottedDestroyedThenPromotedAndOlderVmsRetired() {
    when(cluster.retirement.retireOlderThan("h1", IMAGE, TEMPLATE)).thenReturn(2);

    GoldenImageResult result = workflow("h1").run(new ImageBuildRequest("h1", true, true, null));

    ImageRef promoted = new ImageRef(IMAGE, "snap-9", "6.12", 1_700_000_000L, TEMPLATE);
    assertTrue(result.promoted());
    assertEquals(promoted, result.image());
    assertEquals(2, result.retiredVms());
    ArgumentCaptor<NetworkRequest> network = ArgumentCaptor.forClass(NetworkRequest.class);
    ArgumentCaptor<BootRequest> boot = ArgumentCaptor.forClass(BootRequest.class);
    ArgumentCaptor<SnapshotRequest> snapshot = ArgumentCaptor.forClass(SnapshotRequest.class);
    InOrder order =
        inOrder(h1.images(), h1.network(), h1.vmm(), h1.readiness(), cluster.retirement);
    order.verify(h1.images()).buildImage(new ImageBuildRequest("h1", true, true, null));
    order.verify(h1.network()).createNetwork(network.capture());
    order.verify(h1.vmm()).bootVm(boot.capture());
    order.verify(h1.readiness()).awaitReady(any());
    order.verify(h1.vmm()).snapshotVm(snapshot.capture());
    String vmId = boot.getValue().vmId();
    order
        .verify(h1.vmm())
        .destroyVm(new VmRef(boot.getValue().requestId(), vmId, VmNetwork.standard(vmId)));
    order.verify(h1.network()).deleteNetwork(network.getValue());
    order.verify(h1.images()).promote(promoted);
    order.verify(cluster.retirement).retireOlderThan("h1", IMAGE, TEMPLATE);
    assertEquals(BootMode.COLD, boot.getValue().mode());
    // The canary boots with the template's defaults, which the host reads from the image.
    assertEquals(0, boot.getValue().memoryMib());
    assertEquals(0, boot.getValue().vcpus());
    ArgumentCaptor<ReadinessRequest> readiness = ArgumentCaptor.forClass(ReadinessRequest.class);
    verify(h1.readiness()).awaitReady(readiness.capture());
    assertNull(readiness.getValue().launch(), "a canary's app is launched with nothing");
    assertEquals(vmId, snapshot.getValue().vmId());
    assertEquals(IMAGE, snapshot.getValue().imageId());
    verifyNoInteractions(cluster.host("h2").images(), cluster.host("h2").vmm());
  }

  @Test
  void withoutSnapshotThePromotedImageHasNone() {
    GoldenImageResult result = workflow("h1").run(new ImageBuildRequest("h1", false, false, null));

    assertEquals(Fixtures.COLD_IMAGE, result.image());
    verify(h1.vmm(), never()).snapshotVm(any());
    verify(h1.images()).promote(Fixtures.COLD_IMAGE);
    verifyNoInteractions(cluster.retirement);
  }

  @Test
  void failedCanaryIsCompensatedAndNeverPromoted() {
    doThrow(FailureKind.WEBSOCKIFY_REFUSED.failure("169.254.77.2:6080 refused"))
        .when(h1.readiness())
        .awaitReady(any());

    WorkflowFailedException failed =
        assertThrows(
            WorkflowFailedException.class,
            () -> workflow("h1").run(new ImageBuildRequest("h1", true, true, null)));

    ApplicationFailure failure = assertInstanceOf(ApplicationFailure.class, failed.getCause());
    assertEquals(FailureKind.CANARY_FAILED.type(), failure.getType());
    assertTrue(
        failure.getOriginalMessage().contains("WebsockifyRefused"), failure.getOriginalMessage());
    verify(h1.vmm()).destroyVm(any());
    verify(h1.network()).deleteNetwork(any());
    verify(h1.vmm(), never()).snapshotVm(any());
    verify(h1.images(), never()).promote(any());
    verify(cluster.retirement, never()).retireOlderThan(anyString(), anyString(), any());
  }

  @Test
  void failedBuildBootsNoCanary() {
    doThrow(FailureKind.IMAGE_BUILD_FAILED.failure("debootstrap exited 1"))
        .when(h1.images())
        .buildImage(any());

    WorkflowFailedException failed =
        assertThrows(
            WorkflowFailedException.class,
            () -> workflow("h1").run(new ImageBuildRequest("h1", true, false, null)));

    assertEquals(
        FailureKind.IMAGE_BUILD_FAILED.type(),
        assertInstanceOf(ApplicationFailure.class, failed.getCause()).getType());
    verifyNoInteractions(h1.network(), h1.vmm(), h1.readiness());
    verify(h1.images(), never()).promote(any());
  }

  @Test
  void invalidHostIsRefusedBeforeAnyActivity() {
    WorkflowFailedException failed =
        assertThrows(
            WorkflowFailedException.class,
            () -> workflow("x").run(new ImageBuildRequest("Bad Host", true, false, null)));

    assertEquals(
        FailureKind.INVALID_INPUT.type(),
        assertInstanceOf(ApplicationFailure.class, failed.getCause()).getType());
    verifyNoInteractions(h1.images(), h1.network(), h1.vmm());
  }

  @Test
  void aNamedTemplateIsBuiltPromotedAndRetiredAsThatTemplate() {
    ImageRef browser = new ImageRef("cd".repeat(32), null, "6.12", 1_700_000_100L, "browser");
    when(h1.images().buildImage(any())).thenReturn(browser);
    when(cluster.retirement.retireOlderThan("h1", browser.imageId(), "browser")).thenReturn(1);
    String workflowId = GoldenImageWorkflow.workflowId("h1", "browser");
    GoldenImageWorkflow workflow =
        cluster.client.newWorkflowStub(
            GoldenImageWorkflow.class,
            WorkflowOptions.newBuilder()
                .setWorkflowId(workflowId)
                .setTaskQueue(TaskQueues.SHARED)
                .build());

    GoldenImageResult result = workflow.run(new ImageBuildRequest("h1", true, true, "browser"));

    assertEquals(browser.withSnapshot("snap-9"), result.image());
    assertEquals(1, result.retiredVms());
    verify(h1.images()).buildImage(new ImageBuildRequest("h1", true, true, "browser"));
    verify(h1.images()).promote(browser.withSnapshot("snap-9"));
    verify(cluster.retirement).retireOlderThan("h1", browser.imageId(), "browser");
    verify(cluster.retirement, never())
        .retireOlderThan(anyString(), anyString(), org.mockito.ArgumentMatchers.eq(TEMPLATE));
    var attributes =
        cluster.client.newUntypedWorkflowStub(workflowId).describe().getTypedSearchAttributes();
    assertEquals(browser.imageId(), attributes.get(KindlingSearchAttributes.IMAGE));
    assertEquals("browser", attributes.get(KindlingSearchAttributes.TEMPLATE));
  }

  @Test
  void workflowIdsAreOnePerHostAndTemplate() {
    assertEquals("golden-image-h1", GoldenImageWorkflow.workflowId("h1", null));
    assertEquals("golden-image-h1-browser", GoldenImageWorkflow.workflowId("h1", "browser"));
  }

  @Test
  void invalidTemplateIsRefusedBeforeAnyActivity() {
    WorkflowFailedException failed =
        assertThrows(
            WorkflowFailedException.class,
            () -> workflow("h1").run(new ImageBuildRequest("h1", true, false, "../etc")));

    ApplicationFailure failure = assertInstanceOf(ApplicationFailure.class, failed.getCause());
    assertEquals(FailureKind.INVALID_INPUT.type(), failure.getType());
    assertTrue(failure.getOriginalMessage().startsWith("template"), failure.getOriginalMessage());
    verifyNoInteractions(h1.images(), h1.network(), h1.vmm());
  }

  @Test
  void anInvalidTemplateRecipeFailsTheBuildTypedAndBootsNoCanary() {
    doThrow(FailureKind.INVALID_TEMPLATE.failure("template kiosk: app.argv: is required"))
        .when(h1.images())
        .buildImage(any());

    WorkflowFailedException failed =
        assertThrows(
            WorkflowFailedException.class,
            () -> workflow("h1").run(new ImageBuildRequest("h1", true, false, "kiosk")));

    ApplicationFailure failure = assertInstanceOf(ApplicationFailure.class, failed.getCause());
    assertEquals(FailureKind.INVALID_TEMPLATE.type(), failure.getType());
    assertTrue(failure.getOriginalMessage().contains("app.argv"), failure.getOriginalMessage());
    verifyNoInteractions(h1.network(), h1.vmm(), h1.readiness());
    verify(h1.images(), never()).promote(any());
  }
}
