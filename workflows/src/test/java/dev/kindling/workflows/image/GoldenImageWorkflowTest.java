package dev.kindling.workflows.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
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
import dev.kindling.workflows.TaskQueues;
import dev.kindling.workflows.Fixtures;
import dev.kindling.workflows.TestCluster;
import dev.kindling.workflows.host.BootMode;
import dev.kindling.workflows.host.BootRequest;
import dev.kindling.workflows.host.ImageRef;
import dev.kindling.workflows.host.NetworkRequest;
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
            .setWorkflowId(GoldenImageWorkflow.workflowId(hostId))
            .setTaskQueue(TaskQueues.SHARED)
            .build());
  }

  @Test
  void passingCanaryIsSnapshottedDestroyedThenPromotedAndOlderVmsRetired() {
    when(cluster.retirement.retireOlderThan("h1", IMAGE)).thenReturn(2);

    GoldenImageResult result = workflow("h1").run(new ImageBuildRequest("h1", true, true));

    ImageRef promoted = new ImageRef(IMAGE, "snap-9", "6.12", 1_700_000_000L);
    assertTrue(result.promoted());
    assertEquals(promoted, result.image());
    assertEquals(2, result.retiredVms());
    ArgumentCaptor<NetworkRequest> network = ArgumentCaptor.forClass(NetworkRequest.class);
    ArgumentCaptor<BootRequest> boot = ArgumentCaptor.forClass(BootRequest.class);
    ArgumentCaptor<SnapshotRequest> snapshot = ArgumentCaptor.forClass(SnapshotRequest.class);
    InOrder order = inOrder(h1.images(), h1.network(), h1.vmm(), h1.readiness(), cluster.retirement);
    order.verify(h1.images()).buildImage(new ImageBuildRequest("h1", true, true));
    order.verify(h1.network()).createNetwork(network.capture());
    order.verify(h1.vmm()).bootVm(boot.capture());
    order.verify(h1.readiness()).awaitReady(any());
    order.verify(h1.vmm()).snapshotVm(snapshot.capture());
    String vmId = boot.getValue().vmId();
    order.verify(h1.vmm()).destroyVm(new VmRef(boot.getValue().requestId(), vmId, VmNetwork.standard(vmId)));
    order.verify(h1.network()).deleteNetwork(network.getValue());
    order.verify(h1.images()).promote(promoted);
    order.verify(cluster.retirement).retireOlderThan("h1", IMAGE);
    assertEquals(BootMode.COLD, boot.getValue().mode());
    assertEquals(vmId, snapshot.getValue().vmId());
    assertEquals(IMAGE, snapshot.getValue().imageId());
    verifyNoInteractions(cluster.host("h2").images(), cluster.host("h2").vmm());
  }

  @Test
  void withoutSnapshotThePromotedImageHasNone() {
    GoldenImageResult result = workflow("h1").run(new ImageBuildRequest("h1", false, false));

    assertEquals(Fixtures.COLD_IMAGE, result.image());
    verify(h1.vmm(), never()).snapshotVm(any());
    verify(h1.images()).promote(Fixtures.COLD_IMAGE);
    verifyNoInteractions(cluster.retirement);
  }

  @Test
  void failedCanaryIsCompensatedAndNeverPromoted() {
    doThrow(FailureKind.WEBSOCKIFY_REFUSED.failure("169.254.77.2:6080 refused")).when(h1.readiness()).awaitReady(any());

    WorkflowFailedException failed =
        assertThrows(WorkflowFailedException.class, () -> workflow("h1").run(new ImageBuildRequest("h1", true, true)));

    ApplicationFailure failure = assertInstanceOf(ApplicationFailure.class, failed.getCause());
    assertEquals(FailureKind.CANARY_FAILED.type(), failure.getType());
    assertTrue(failure.getOriginalMessage().contains("WebsockifyRefused"), failure.getOriginalMessage());
    verify(h1.vmm()).destroyVm(any());
    verify(h1.network()).deleteNetwork(any());
    verify(h1.vmm(), never()).snapshotVm(any());
    verify(h1.images(), never()).promote(any());
    verify(cluster.retirement, never()).retireOlderThan(anyString(), anyString());
  }

  @Test
  void failedBuildBootsNoCanary() {
    doThrow(FailureKind.IMAGE_BUILD_FAILED.failure("debootstrap exited 1")).when(h1.images()).buildImage(any());

    WorkflowFailedException failed =
        assertThrows(WorkflowFailedException.class, () -> workflow("h1").run(new ImageBuildRequest("h1", true, false)));

    assertEquals(FailureKind.IMAGE_BUILD_FAILED.type(), assertInstanceOf(ApplicationFailure.class, failed.getCause()).getType());
    verifyNoInteractions(h1.network(), h1.vmm(), h1.readiness());
    verify(h1.images(), never()).promote(any());
  }

  @Test
  void invalidHostIsRefusedBeforeAnyActivity() {
    WorkflowFailedException failed =
        assertThrows(WorkflowFailedException.class, () -> workflow("x").run(new ImageBuildRequest("Bad Host", true, false)));

    assertEquals(FailureKind.INVALID_INPUT.type(), assertInstanceOf(ApplicationFailure.class, failed.getCause()).getType());
    verifyNoInteractions(h1.images(), h1.network(), h1.vmm());
  }
}
