package dev.kindling.worker.bench;

import dev.kindling.host.HostPaths;
import dev.kindling.host.TemporalCli;
import dev.kindling.worker.config.KindlingConfig;
import dev.kindling.worker.config.Setting;
import dev.kindling.worker.dev.DevStack;
import io.temporal.client.WorkflowClient;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;

/**
 * What a benchmark provisions VMs on: the dev stack, on a private Temporal CLI dev server (the
 * default) or on the Temporal server that answers at a given target (whose namespace gets
 * Kindling's search attributes).
 */
record BenchStack(DevStack stack) implements AutoCloseable {

  /**
   * The dev stack with its run directory in {@code runDir}, on {@code temporalTarget} or (null) a
   * private dev server.
   */
  static BenchStack start(String temporalTarget, Path runDir) throws Exception {
    return start(temporalTarget, runDir, Map.of());
  }

  /** Like {@link #start(String, Path)}, with {@code extra} settings. */
  static BenchStack start(String temporalTarget, Path runDir, Map<Setting, String> extra)
      throws Exception {
    Map<Setting, String> flags = new EnumMap<>(Setting.class);
    flags.put(Setting.RUN_DIR, runDir.toString());
    flags.put(Setting.WORKER_METRICS_PORT, "0");
    flags.put(Setting.PROXY_PORT, "0");
    flags.put(Setting.TEMPORAL_UI_PORT, "-1");
    flags.put(Setting.TEMPORAL_TARGET, temporalTarget == null ? "localhost:0" : temporalTarget);
    flags.putAll(extra);
    return new BenchStack(DevStack.start(KindlingConfig.load(null, Map.of(), flags)));
  }

  WorkflowClient client() {
    return stack.connection().client();
  }

  HostPaths paths() {
    return stack.host().paths();
  }

  /** For the report: which Temporal server, and how the worker reaches it. */
  String description() {
    return stack
        .devServer()
        .map(
            server ->
                "the dev stack on a private Temporal CLI "
                    + TemporalCli.VERSION
                    + " dev server (in memory, on loopback;"
                    + " worker, proxy and client in the benchmark's JVM over gRPC)")
        .orElse(
            "the dev stack on the Temporal server at "
                + stack.temporalTarget()
                + " (worker, proxy and client in the benchmark's JVM)");
  }

  @Override
  public void close() throws Exception {
    stack.close();
  }
}
