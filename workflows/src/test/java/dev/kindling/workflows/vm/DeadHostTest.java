package dev.kindling.workflows.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.argThat;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;

import dev.kindling.workflows.FailureKind;
import dev.kindling.workflows.Fixtures;
import dev.kindling.workflows.HostStubs;
import dev.kindling.workflows.TaskQueues;
import dev.kindling.workflows.TestCluster;
import dev.kindling.workflows.client.KindlingClient;
import dev.kindling.workflows.host.Placement;
import dev.kindling.workflows.host.PlacementRequest;
import io.temporal.activity.ActivityOptions;
import io.temporal.client.WorkflowFailedException;
import io.temporal.failure.ApplicationFailure;
import io.temporal.worker.WorkflowImplementationOptions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A host whose worker is gone: nobody polls its queue, so the first host step times out on
 * schedule-to-start and the session is placed again on another host; with none left it fails typed.
 * A READY session whose host is lost ends {@code HostLost}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DeadHostTest {
  /**
   * The in-memory server does not skip time while a task waits on a queue, so the pickup timeout is
   * shortened here to keep the test quick; the mechanism is the production one.
   */
  private static final ActivityOptions QUICK_PICKUP =
      ActivityOptions.newBuilder(HostStubs.NETWORK)
          .setScheduleToStartTimeout(Duration.ofSeconds(1))
          .build();

  private static final WorkflowImplementationOptions OPTIONS =
      WorkflowImplementationOptions.newBuilder()
          .setActivityOptions(
              Map.of(
                  "StartVm",
                  QUICK_PICKUP,
                  "DestroyVm",
                  QUICK_PICKUP,
                  "DeleteNetwork",
                  QUICK_PICKUP))
          .build();

  private static final Placement DEAD =
      new Placement(
          "dead", TaskQueues.forHost("dead"), Fixtures.COLD_IMAGE, "http://dead.test:6090");

  @Test
  void aHostThatDoesNotPickUpIsAvoidedAndTheSessionIsPlacedAgain() throws Exception {
    try (TestCluster cluster = TestCluster.withHosts(OPTIONS, "h1").start()) {
      Fixtures.healthyHost(cluster, "h1", Fixtures.COLD_IMAGE);
      when(cluster.placement.place(any()))
          .thenAnswer(
              call ->
                  call.<PlacementRequest>getArgument(0).avoid().contains("dead")
                      ? new Placement(
                          "h1",
                          TaskQueues.forHost("h1"),
                          Fixtures.COLD_IMAGE,
                          "http://h1.test:6090")
                      : DEAD);
      KindlingClient kindling = new KindlingClient(cluster.client);

      VmDescription ready =
          kindling.createVm(VmRequest.forSession("s-moved"), Duration.ofSeconds(30));

      assertEquals(Phase.READY, ready.phase());
      assertEquals("h1", ready.hostId());
      assertEquals("http://h1.test:6090/sessions/s-moved/", ready.pageUrl());
      assertTrue(
          ready.timings().stream().anyMatch(t -> t.stage().equals("not-picked-up/dead")),
          ready.timings().toString());
      verify(cluster.placement)
          .place(
              argThat(r -> r.avoid().equals(List.of("dead")) && r.sessionId().equals("s-moved")));
      // The network h1 made is for the VM the session describes, not the one meant for "dead".
      verify(cluster.host("h1").network())
          .createNetwork(argThat(n -> n.vmId().equals(ready.vmId())));
      kindling.release("s-moved");
      assertEquals(Phase.RELEASED, kindling.awaitEnd("s-moved").phase());
    }
  }

  @Test
  void withNoOtherHostTheSessionFailsNoCapacityNamingWhy() {
    try (TestCluster cluster = TestCluster.withHosts(OPTIONS, "h1").start()) {
      when(cluster.placement.place(any()))
          .thenAnswer(
              call -> {
                if (call.<PlacementRequest>getArgument(0).avoid().isEmpty()) {
                  return DEAD;
                }
                throw FailureKind.NO_CAPACITY.failure(
                    "no host can take session s-dead [dead: did not pick up this session's first"
                        + " step in time; h1: drained (maintenance)]");
              });
      KindlingClient kindling = new KindlingClient(cluster.client);
      kindling.startVm(VmRequest.forSession("s-dead"));

      WorkflowFailedException failed =
          assertThrows(WorkflowFailedException.class, () -> kindling.awaitEnd("s-dead"));

      ApplicationFailure failure = assertInstanceOf(ApplicationFailure.class, failed.getCause());
      assertEquals(FailureKind.NO_CAPACITY.type(), failure.getType());
      assertTrue(failure.getOriginalMessage().contains("h1: drained"), failure.getMessage());
      VmDescription described = kindling.describe("s-dead");
      assertEquals(Phase.FAILED, described.phase());
      assertEquals(FailureKind.NO_CAPACITY.type(), described.failureType());
      verifyNoInteractions(
          cluster.host("h1").readiness(), cluster.host("h1").vmm(), cluster.host("h1").network());
    }
  }

  @Test
  void aReadySessionWhoseHostIsLostEndsHostLostWithoutWaitingOnTheHost() throws Exception {
    try (TestCluster cluster = TestCluster.withHosts("h1").start()) {
      Fixtures.healthyHost(cluster, "h1", Fixtures.COLD_IMAGE);
      KindlingClient kindling = new KindlingClient(cluster.client);
      VmDescription ready =
          kindling.createVm(VmRequest.forSession("s-lost"), Duration.ofSeconds(20));

      kindling
          .workflowStub("s-lost")
          .signal("hostLost", "host h1 has not reported for 61 s (host.lostAfterSeconds=60)");

      WorkflowFailedException failed =
          assertThrows(WorkflowFailedException.class, () -> kindling.awaitEnd("s-lost"));
      ApplicationFailure failure = assertInstanceOf(ApplicationFailure.class, failed.getCause());
      assertEquals(FailureKind.HOST_LOST.type(), failure.getType());
      assertTrue(failure.getOriginalMessage().contains("61 s"), failure.getOriginalMessage());
      VmDescription described = kindling.describe("s-lost");
      assertEquals(Phase.FAILED, described.phase());
      assertEquals(FailureKind.HOST_LOST.type(), described.failureType());
      assertEquals(ready.vmId(), described.vmId());
      verify(cluster.host("h1").vmm(), never()).destroyVm(any());
      verify(cluster.host("h1").network(), never()).deleteNetwork(any());
      assertNotEquals(null, described.hostId());
    }
  }
}
