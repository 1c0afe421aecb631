package dev.kindling.worker.dev;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.host.HostPaths;
import dev.kindling.host.TemporalCli;
import dev.kindling.host.testing.HostCapability;
import dev.kindling.host.testing.RequiresHost;
import dev.kindling.worker.config.KindlingConfig;
import dev.kindling.worker.config.Setting;
import dev.kindling.workflows.cleanup.CleanupWorkflow;
import io.temporal.client.schedules.ScheduleClient;
import io.temporal.client.schedules.ScheduleClientOptions;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded default's Temporal: its own dev server, or one that already answers; a dev server
 * that dies is reported.
 */
@RequiresHost(HostCapability.TEMPORAL_CLI)
class DevStackTest {
  @TempDir Path dir;

  private KindlingConfig config(String target) {
    return KindlingConfig.load(
        null,
        Map.of(),
        Map.of(
            Setting.TEMPORAL_TARGET,
            target,
            Setting.TEMPORAL_UI_PORT,
            "-1",
            Setting.WORKER_METRICS_PORT,
            "0",
            Setting.PROXY_PORT,
            "0",
            Setting.RUN_DIR,
            dir.resolve("run").toString(),
            Setting.TEMPORAL_STATE_DIR,
            dir.resolve("state").toString()));
  }

  @Test
  void aDevServerThatDiesIsReportedWithItsOutput() throws Exception {
    try (DevStack stack = DevStack.start(config("localhost:0"))) {
      TemporalDevServer server = stack.devServer().orElseThrow();
      assertEquals(server.target(), stack.temporalTarget());
      assertTrue(cleanupScheduled(stack), "the cleanup schedule exists");

      ProcessHandle.of(server.pid()).orElseThrow().destroyForcibly();

      String reason = stack.serverLost().get(30, TimeUnit.SECONDS);
      assertTrue(reason.startsWith("the Temporal dev server exited with status "), reason);
    }
  }

  @Test
  void aServerThatAlreadyAnswersIsUsedAndGetsKindlingsSearchAttributes() throws Exception {
    Path cli =
        TemporalCli.find(System.getenv("KINDLING_TEMPORAL_CLI"), HostPaths.fromEnvironment())
            .orElseThrow();
    try (TemporalDevServer running =
            TemporalDevServer.start(
                new TemporalDevServer.Options(
                    cli, 0, -1, null, "default", dir.resolve("other.log")));
        DevStack stack = DevStack.start(config(running.target()))) {
      assertTrue(stack.devServer().isEmpty(), "no second server");
      assertEquals(running.target(), stack.temporalTarget());
      assertTrue(cleanupScheduled(stack));
      assertTrue(!stack.serverLost().isDone(), "a server the stack did not start is not watched");
    }
  }

  private static boolean cleanupScheduled(DevStack stack) {
    ScheduleClient schedules =
        ScheduleClient.newInstance(
            stack.connection().service(),
            ScheduleClientOptions.newBuilder()
                .setNamespace(stack.config().temporalNamespace())
                .build());
    return schedules.getHandle(CleanupWorkflow.WORKFLOW_ID).describe().getSchedule() != null;
  }
}
