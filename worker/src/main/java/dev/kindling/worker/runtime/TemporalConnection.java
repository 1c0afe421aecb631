package dev.kindling.worker.runtime;

import com.uber.m3.tally.NoopScope;
import com.uber.m3.tally.Scope;
import dev.kindling.worker.config.KindlingConfig;
import dev.kindling.workflows.StrictDataConverter;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.time.Duration;

/**
 * A client connection to the configured Temporal frontend and namespace, reading payloads strictly.
 */
public record TemporalConnection(WorkflowServiceStubs service, WorkflowClient client)
    implements AutoCloseable {

  public static TemporalConnection open(KindlingConfig config) {
    return open(config, new NoopScope());
  }

  /** A connection whose Temporal SDK metrics go to {@code metrics}. */
  public static TemporalConnection open(KindlingConfig config, Scope metrics) {
    WorkflowServiceStubs service =
        WorkflowServiceStubs.newServiceStubs(
            WorkflowServiceStubsOptions.newBuilder()
                .setTarget(config.temporalTarget())
                .setMetricsScope(metrics)
                .setRpcTimeout(Duration.ofSeconds(10))
                .build());
    WorkflowClient client =
        WorkflowClient.newInstance(
            service,
            WorkflowClientOptions.newBuilder()
                .setNamespace(config.temporalNamespace())
                .setDataConverter(StrictDataConverter.INSTANCE)
                .build());
    return new TemporalConnection(service, client);
  }

  @Override
  public void close() {
    service.shutdown();
  }
}
