package dev.kindling.activities.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.workflows.KindlingSearchAttributes;
import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.api.operatorservice.v1.ListSearchAttributesRequest;
import io.temporal.serviceclient.OperatorServiceStubs;
import io.temporal.serviceclient.OperatorServiceStubsOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TemporalDevServerTest {
  @TempDir Path logDir;

  @Test
  void argumentsBindLoopbackWithoutUiAndRegisterKindlingsSearchAttributesByTheCliTypeNames() {
    assertTrue("KeywordList".equalsIgnoreCase(TemporalDevServer.cliTypeName(IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST)));
    List<String> argv = TemporalDevServer.argv(Path.of("temporal"), 7777);
    assertEquals(List.of("temporal", "server", "start-dev", "--ip", "127.0.0.1", "--port", "7777", "--headless"), argv.subList(0, 8));
    assertTrue(argv.contains("KindlingSession=KEYWORD"), argv.toString());
  }

  @Test
  @RequiresHost(HostCapability.TEMPORAL_CLI)
  void servesKindlingsSearchAttributesOnLoopbackAndLeavesNothingRunning() throws Exception {
    TemporalDevServer server = TemporalDevServer.start(TemporalCli.find().orElseThrow(), logDir);
    String target = server.target();
    long pid = server.pid();
    try {
      assertTrue(target.startsWith("127.0.0.1:"), target);
      Map<String, IndexedValueType> registered = searchAttributes(target);
      for (var key : KindlingSearchAttributes.all()) {
        assertEquals(key.getValueType(), registered.get(key.getName()), key.getName());
      }
      assertTrue(Files.exists(server.logFile()), "output kept in " + server.logFile());
    } finally {
      server.close();
    }
    assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "the server process is gone");
    int port = Integer.parseInt(target.substring(target.lastIndexOf(':') + 1));
    assertThrows(IOException.class, () -> {
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
      }
    }, "nothing listens on " + target + " any more");
  }

  private static Map<String, IndexedValueType> searchAttributes(String target) {
    WorkflowServiceStubs service = WorkflowServiceStubs.newServiceStubs(WorkflowServiceStubsOptions.newBuilder().setTarget(target).build());
    OperatorServiceStubs operator = OperatorServiceStubs.newServiceStubs(
        OperatorServiceStubsOptions.newBuilder().setChannel(service.getRawChannel()).validateAndBuildWithDefaults());
    try {
      return operator.blockingStub()
          .listSearchAttributes(ListSearchAttributesRequest.newBuilder().setNamespace("default").build())
          .getCustomAttributesMap();
    } finally {
      operator.shutdownNow();
      service.shutdownNow();
    }
  }
}
