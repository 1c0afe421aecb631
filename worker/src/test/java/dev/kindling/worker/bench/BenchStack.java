package dev.kindling.worker.bench;

import dev.kindling.activities.host.HostPaths;
import dev.kindling.worker.config.KindlingConfig;
import dev.kindling.worker.config.Setting;
import dev.kindling.worker.dev.DevStack;
import dev.kindling.worker.runtime.HostServices;
import dev.kindling.worker.runtime.TemporalConnection;
import dev.kindling.worker.runtime.WorkerRuntime;
import io.temporal.client.WorkflowClient;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;

/**
 * What a benchmark provisions VMs on: the embedded dev stack (the default), or a worker in this
 * JVM polling a Temporal server elsewhere (whose namespace must know Kindling's search attributes).
 */
interface BenchStack extends AutoCloseable {
  WorkflowClient client();

  HostPaths paths();

  /** For the report: which Temporal server, and how the worker reaches it. */
  String description();

  /** The embedded dev stack with its run directory in {@code runDir}, or a worker against {@code temporalTarget}. */
  static BenchStack start(String temporalTarget, Path runDir) throws Exception {
    Map<Setting, String> flags = new EnumMap<>(Setting.class);
    flags.put(Setting.RUN_DIR, runDir.toString());
    if (temporalTarget == null) {
      flags.put(Setting.TEMPORAL_TARGET, "localhost:0");
      flags.put(Setting.PROXY_PORT, "0");
      return new Embedded(DevStack.start(KindlingConfig.load(null, Map.of(), flags)));
    }
    flags.put(Setting.TEMPORAL_TARGET, temporalTarget);
    KindlingConfig config = KindlingConfig.load(null, Map.of(), flags);
    TemporalConnection connection = TemporalConnection.open(config);
    try {
      HostServices host = HostServices.create(config);
      WorkerRuntime worker = WorkerRuntime.start(connection.client(), host);
      return new External(temporalTarget, connection, host, worker);
    } catch (Exception | Error e) {
      connection.close();
      throw e;
    }
  }

  record Embedded(DevStack stack) implements BenchStack {
    @Override
    public WorkflowClient client() {
      return stack.connection().client();
    }

    @Override
    public HostPaths paths() {
      return stack.host().paths();
    }

    @Override
    public String description() {
      return "the embedded dev stack (Temporal test server, worker and proxy in one JVM; the worker reaches the server in-process)";
    }

    @Override
    public void close() throws Exception {
      stack.close();
    }
  }

  record External(String target, TemporalConnection connection, HostServices host, WorkerRuntime worker) implements BenchStack {
    @Override
    public WorkflowClient client() {
      return connection.client();
    }

    @Override
    public HostPaths paths() {
      return host.paths();
    }

    @Override
    public String description() {
      return "a Temporal server at " + target + " (worker in the benchmark's JVM, over gRPC on loopback)";
    }

    @Override
    public void close() {
      worker.close();
      connection.close();
    }
  }
}
