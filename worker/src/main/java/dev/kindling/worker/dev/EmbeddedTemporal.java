package dev.kindling.worker.dev;

import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.api.operatorservice.v1.AddSearchAttributesRequest;
import io.temporal.serviceclient.OperatorServiceStubs;
import io.temporal.serviceclient.OperatorServiceStubsOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.testserver.TestServer;
import java.io.Closeable;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded default: Temporal's Java test server bound to a TCP port, so the CLI, other
 * processes and backends in other languages can connect to it like to a real cluster.
 */
public final class EmbeddedTemporal implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedTemporal.class);

  private final TestServer.PortBoundTestServer server;
  private final int port;

  private EmbeddedTemporal(TestServer.PortBoundTestServer server, int port) {
    this.server = server;
    this.port = port;
  }

  /** Starts the server on {@code port} on the real clock: time skipping is locked, so leases last as long as they say. */
  public static EmbeddedTemporal start(int port) {
    TestServer.PortBoundTestServer server = TestServer.createPortBoundServer(port, true);
    log.info("embedded Temporal test server listening on localhost:{}", port);
    return new EmbeddedTemporal(server, port);
  }

  public String target() {
    return "localhost:" + port;
  }

  /** Registers custom search attributes so workflows can upsert them. */
  public void registerSearchAttributes(String namespace, Map<String, IndexedValueType> attributes) {
    WorkflowServiceStubs service = WorkflowServiceStubs.newConnectedServiceStubs(
        io.temporal.serviceclient.WorkflowServiceStubsOptions.newBuilder().setTarget(target()).build(), null);
    OperatorServiceStubs operator = OperatorServiceStubs.newServiceStubs(
        OperatorServiceStubsOptions.newBuilder().setChannel(service.getRawChannel()).validateAndBuildWithDefaults());
    try {
      operator.blockingStub().addSearchAttributes(AddSearchAttributesRequest.newBuilder()
          .setNamespace(namespace)
          .putAllSearchAttributes(attributes)
          .build());
    } finally {
      operator.shutdownNow();
      service.shutdownNow();
    }
  }

  @Override
  public void close() {
    server.close();
  }
}
