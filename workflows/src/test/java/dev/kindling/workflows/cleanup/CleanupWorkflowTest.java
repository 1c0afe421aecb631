package dev.kindling.workflows.cleanup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import dev.kindling.workflows.HostStubs;
import dev.kindling.workflows.TaskQueues;
import dev.kindling.workflows.TestCluster;
import dev.kindling.workflows.image.GoldenImageWorkflow;
import io.temporal.activity.ActivityOptions;
import io.temporal.client.WorkflowOptions;
import io.temporal.worker.WorkflowImplementationOptions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CleanupWorkflowTest {
  /** The in-memory server does not skip time while a task waits on a queue; see DeadHostTest. */
  private static final WorkflowImplementationOptions QUICK_PICKUP =
      WorkflowImplementationOptions.newBuilder()
          .setActivityOptions(
              Map.of(
                  "Inventory",
                  ActivityOptions.newBuilder(HostStubs.CLEANUP)
                      .setScheduleToStartTimeout(Duration.ofSeconds(1))
                      .build()))
          .build();

  private static CleanupReport runCleanup(TestCluster cluster) {
    CleanupWorkflow workflow =
        cluster.client.newWorkflowStub(
            CleanupWorkflow.class,
            WorkflowOptions.newBuilder()
                .setWorkflowId(CleanupWorkflow.WORKFLOW_ID)
                .setTaskQueue(TaskQueues.SHARED)
                .build());
    return workflow.run();
  }

  private static final String OURS = "127.0.0.1:7234/default";

  @Test
  void orphansAreDestroyedLiveVmsKeptAndADeadHostSkipped() {
    try (TestCluster cluster = TestCluster.withHosts(QUICK_PICKUP, "h1", "h2").start()) {
      CleanupActivities h1 = cluster.host("h1").cleanup();
      CleanupActivities h2 = cluster.host("h2").cleanup();
      String build = GoldenImageWorkflow.workflowId("h1", null);
      when(cluster.liveness.knownHosts()).thenReturn(List.of("h1", "h2", "gone"));
      when(h1.inventory())
          .thenReturn(
              new HostInventory(
                  "h1",
                  List.of(
                      new HostInventory.HostVm(
                          "vm000000000a", "s-live", true, true, true, "browser-vm-s-live", OURS),
                      new HostInventory.HostVm(
                          "vm000000000b", "s-ended", true, true, true, "browser-vm-s-ended", OURS),
                      new HostInventory.HostVm(
                          "vm000000000c", null, true, false, false, build, OURS)),
                  OURS));
      when(h2.inventory())
          .thenReturn(
              new HostInventory(
                  "h2",
                  List.of(
                      new HostInventory.HostVm(
                          "vm000000000d",
                          "s-other",
                          false,
                          true,
                          true,
                          "browser-vm-s-other",
                          OURS)),
                  OURS));
      when(cluster.liveness.isLive("s-live", "vm000000000a")).thenReturn(true);
      when(cluster.liveness.isLive("s-ended", "vm000000000b")).thenReturn(false);
      // The session is live but runs another VM: this one is left over from an earlier run.
      when(cluster.liveness.isLive("s-other", "vm000000000d")).thenReturn(false);
      when(cluster.liveness.endExpiredLeases()).thenReturn(1);

      CleanupReport report = runCleanup(cluster);

      assertEquals(new CleanupReport(3, 4, 1, 3, 1, 0), report);
      verify(h1).destroyOrphan("vm000000000b");
      verify(h1).destroyOrphan("vm000000000c");
      verify(h1, never()).destroyOrphan("vm000000000a");
      verify(h2).destroyOrphan("vm000000000d");
      verify(cluster.liveness, never())
          .isLive(anyString(), org.mockito.ArgumentMatchers.eq("vm000000000c"));
      verify(cluster.liveness).isRunning(build);
    }
  }

  @Test
  void aPoolVmIsKeptWhileItsPoolHoldsItAndDestroyedOnceThePoolLostIt() {
    try (TestCluster cluster = TestCluster.withHosts("h1").start()) {
      CleanupActivities h1 = cluster.host("h1").cleanup();
      String pool = dev.kindling.workflows.pool.PoolWorkflow.workflowId("h1", "terminal");
      when(cluster.liveness.knownHosts()).thenReturn(List.of("h1"));
      when(h1.inventory())
          .thenReturn(
              new HostInventory(
                  "h1",
                  List.of(
                      new HostInventory.HostVm("vm00000000a1", null, true, true, true, pool, OURS),
                      new HostInventory.HostVm("vm00000000a2", null, true, true, true, pool, OURS)),
                  OURS));
      when(cluster.liveness.poolHolds(pool, "vm00000000a1")).thenReturn(true);
      // Claimed by a session that ended before it took the VM over: the pool no longer holds it.
      when(cluster.liveness.poolHolds(pool, "vm00000000a2")).thenReturn(false);

      CleanupReport report = runCleanup(cluster);

      assertEquals(new CleanupReport(1, 2, 1, 1, 0, 0), report);
      verify(h1).destroyOrphan("vm00000000a2");
      verify(h1, never()).destroyOrphan("vm00000000a1");
      verify(cluster.liveness, never()).isRunning(pool);
    }
  }

  @Test
  void aVmWithoutSessionIsKeptWhileTheImageWorkflowThatOwnsItRuns() {
    try (TestCluster cluster = TestCluster.withHosts("h1").start()) {
      CleanupActivities h1 = cluster.host("h1").cleanup();
      String build = GoldenImageWorkflow.workflowId("h1", "browser");
      when(cluster.liveness.knownHosts()).thenReturn(List.of("h1"));
      when(h1.inventory())
          .thenReturn(
              new HostInventory(
                  "h1",
                  List.of(
                      new HostInventory.HostVm(
                          "vm000000000e", null, true, true, true, build, OURS)),
                  OURS));
      when(cluster.liveness.isRunning(build)).thenReturn(true);

      CleanupReport report = runCleanup(cluster);

      assertEquals(new CleanupReport(1, 1, 1, 0, 0, 0), report);
      verify(h1, never()).destroyOrphan(anyString());
    }
  }

  @Test
  void eachSessionlessVmIsJudgedByItsOwnImageWorkflowAndOneWithoutAnOwnerIsDestroyed() {
    try (TestCluster cluster = TestCluster.withHosts("h1").start()) {
      CleanupActivities h1 = cluster.host("h1").cleanup();
      String terminalBuild = GoldenImageWorkflow.workflowId("h1", "terminal");
      String browserBuild = GoldenImageWorkflow.workflowId("h1", "browser");
      when(cluster.liveness.knownHosts()).thenReturn(List.of("h1"));
      when(h1.inventory())
          .thenReturn(
              new HostInventory(
                  "h1",
                  List.of(
                      new HostInventory.HostVm(
                          "vm00000000f1", null, true, true, true, terminalBuild, OURS),
                      new HostInventory.HostVm(
                          "vm00000000f2", null, true, true, true, browserBuild, OURS),
                      new HostInventory.HostVm(
                          "vm00000000f3", null, true, false, true, null, OURS)),
                  OURS));
      // The browser template's build still runs; the terminal template's ended.
      when(cluster.liveness.isRunning(browserBuild)).thenReturn(true);
      when(cluster.liveness.isRunning(terminalBuild)).thenReturn(false);

      CleanupReport report = runCleanup(cluster);

      assertEquals(new CleanupReport(1, 3, 1, 2, 0, 0), report);
      verify(h1).destroyOrphan("vm00000000f1");
      verify(h1, never()).destroyOrphan("vm00000000f2");
      verify(h1).destroyOrphan("vm00000000f3");
      // The host's default-template build id is no longer consulted for VMs it does not own.
      verify(cluster.liveness, never()).isRunning(GoldenImageWorkflow.workflowId("h1", null));
    }
  }

  @Test
  void aVmOfAnotherTemporalDeploymentIsNeitherJudgedNorDestroyedAndIsCounted() {
    try (TestCluster cluster = TestCluster.withHosts("h1").start()) {
      CleanupActivities h1 = cluster.host("h1").cleanup();
      when(cluster.liveness.knownHosts()).thenReturn(List.of("h1"));
      when(h1.inventory())
          .thenReturn(
              new HostInventory(
                  "h1",
                  List.of(
                      new HostInventory.HostVm(
                          "vm0000000a01",
                          "s-theirs",
                          true,
                          true,
                          true,
                          "browser-vm-s-theirs",
                          "127.0.0.1:7233/default"),
                      new HostInventory.HostVm(
                          "vm0000000a02", "s-mine", true, true, true, "browser-vm-s-mine", OURS),
                      new HostInventory.HostVm(
                          "vm0000000a03",
                          "s-legacy",
                          true,
                          true,
                          true,
                          "browser-vm-s-legacy",
                          null)),
                  OURS));
      when(cluster.liveness.isLive("s-mine", "vm0000000a02")).thenReturn(false);
      when(cluster.liveness.isLive("s-legacy", "vm0000000a03")).thenReturn(false);

      CleanupReport report = runCleanup(cluster);

      assertEquals(new CleanupReport(1, 3, 0, 2, 0, 1), report);
      verify(h1, never()).destroyOrphan("vm0000000a01");
      verify(cluster.liveness, never())
          .isLive(anyString(), org.mockito.ArgumentMatchers.eq("vm0000000a01"));
      verify(h1).destroyOrphan("vm0000000a02");
      // A record from before deployments were recorded is judged like one of ours.
      verify(h1).destroyOrphan("vm0000000a03");
    }
  }
}
