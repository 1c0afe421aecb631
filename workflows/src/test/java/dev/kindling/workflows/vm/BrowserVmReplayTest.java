package dev.kindling.workflows.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.workflows.Fixtures;
import dev.kindling.workflows.TestCluster;
import dev.kindling.workflows.client.KindlingClient;
import dev.kindling.workflows.host.PlacementActivities;
import dev.kindling.workflows.host.PlacementRequest;
import io.temporal.activity.LocalActivityOptions;
import io.temporal.testing.WorkflowReplayer;
import io.temporal.workflow.Workflow;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Replays a recorded happy-path history (start, ready, extend, release, teardown) against the
 * current workflow code, so a change to the command sequence that would break running workflows
 * fails here. Regenerate the file deliberately, with a versioned change, by running this class with
 * {@code -Dkindling.recordHistories=true}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BrowserVmReplayTest {
  static final String RESOURCE = "histories/browser-vm-happy.json";

  @Test
  void recordedHappyPathReplaysOnTheCurrentCode() throws Exception {
    WorkflowReplayer.replayWorkflowExecutionFromResource(RESOURCE, BrowserVmWorkflowImpl.class);
  }

  @Test
  void replayFailsWhenTheCommandSequenceChanges() {
    assertThrows(
        RuntimeException.class,
        () ->
            WorkflowReplayer.replayWorkflowExecutionFromResource(
                RESOURCE, SkipsTheNetworkStep.class));
  }

  @Test
  void freshHappyPathHistoryReplays() throws Exception {
    String json = runHappyPath();
    WorkflowReplayer.replayWorkflowExecution(json, BrowserVmWorkflowImpl.class);
    if (Boolean.getBoolean("kindling.recordHistories")) {
      Path root = Path.of(System.getProperty("kindling.repo.root", "."));
      Path file = root.resolve("workflows/src/test/resources").resolve(RESOURCE);
      Files.createDirectories(file.getParent());
      Files.writeString(file, json, StandardCharsets.UTF_8);
    }
  }

  /** Runs start → READY → extend → release → RELEASED and returns the history as JSON. */
  private static String runHappyPath() throws Exception {
    try (TestCluster cluster = TestCluster.withHosts("h1").start()) {
      Fixtures.healthyHost(cluster, "h1", Fixtures.COLD_IMAGE);
      KindlingClient kindling = new KindlingClient(cluster.client);
      kindling.startVm(VmRequest.forSession("s-replay"));
      kindling.awaitReady("s-replay", Duration.ofSeconds(20));
      kindling.extend("s-replay", Duration.ofHours(2));
      kindling.release("s-replay");
      assertEquals(Phase.RELEASED, kindling.awaitEnd("s-replay").phase());
      String json =
          cluster.client.fetchHistory(BrowserVmWorkflow.workflowId("s-replay")).toJson(true);
      assertTrue(json.contains("StartVm"), "the history holds the host steps");
      return json;
    }
  }

  /** A changed workflow: it no longer creates a network before booting. */
  public static class SkipsTheNetworkStep implements BrowserVmWorkflow {
    private final PlacementActivities placement =
        Workflow.newLocalActivityStub(
            PlacementActivities.class,
            LocalActivityOptions.newBuilder()
                .setStartToCloseTimeout(Duration.ofSeconds(10))
                .build());

    @Override
    public VmDescription run(VmRequest request) {
      placement.place(new PlacementRequest(request.sessionId(), null, null));
      Workflow.sleep(Duration.ofSeconds(1));
      return null;
    }

    @Override
    public VmDescription describe() {
      return null;
    }

    @Override
    public VmDescription awaitReady() {
      return null;
    }

    @Override
    public void viewers(Viewers viewers) {}

    @Override
    public void input() {}

    @Override
    public void egress(dev.kindling.workflows.egress.EgressReport report) {}

    @Override
    public void release() {}

    @Override
    public void hostLost(String reason) {}

    @Override
    public long extend(long seconds) {
      return 0;
    }

    @Override
    public void validateExtend(long seconds) {}
  }
}
