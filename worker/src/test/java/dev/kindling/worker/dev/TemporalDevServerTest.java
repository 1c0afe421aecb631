package dev.kindling.worker.dev;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.host.HostPaths;
import dev.kindling.host.TemporalCli;
import dev.kindling.host.testing.HostCapability;
import dev.kindling.host.testing.RequiresHost;
import dev.kindling.workflows.KindlingSearchAttributes;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.common.v1.WorkflowType;
import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.api.operatorservice.v1.ListSearchAttributesRequest;
import io.temporal.api.taskqueue.v1.TaskQueue;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest;
import io.temporal.api.workflowservice.v1.StartWorkflowExecutionRequest;
import io.temporal.serviceclient.OperatorServiceStubs;
import io.temporal.serviceclient.OperatorServiceStubsOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TemporalDevServerTest {
  private static final String NAMESPACE = "kindling-test";

  @TempDir Path dir;

  @Test
  void argumentsBindLoopbackAndRegisterKindlingsSearchAttributesByTheCliTypeNames() {
    assertTrue(
        "KeywordList"
            .equalsIgnoreCase(
                TemporalDevServer.cliTypeName(IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST)));
    Path log = Path.of("out.log");
    List<String> headless =
        TemporalDevServer.argv(
            new TemporalDevServer.Options(Path.of("temporal"), 7777, -1, null, "default", log),
            7777,
            -1);
    assertEquals(
        List.of("temporal", "server", "start-dev", "--ip", "127.0.0.1", "--port", "7777"),
        headless.subList(0, 7));
    assertTrue(headless.contains("--headless"), headless.toString());
    assertFalse(headless.contains("--db-filename"), "in memory: " + headless);
    assertFalse(headless.contains("--namespace"), "default always exists: " + headless);
    assertTrue(headless.contains("KindlingSession=KEYWORD"), headless.toString());

    List<String> withUi =
        TemporalDevServer.argv(
            new TemporalDevServer.Options(
                Path.of("temporal"), 7777, 8888, Path.of("/s/t.db"), "ns", log),
            7777,
            8888);
    assertTrue(
        String.join(" ", withUi).contains("--ui-ip 127.0.0.1 --ui-port 8888"), withUi.toString());
    assertTrue(String.join(" ", withUi).contains("--db-filename /s/t.db"), withUi.toString());
    assertTrue(String.join(" ", withUi).contains("--namespace ns"), withUi.toString());
    assertFalse(withUi.contains("--headless"), withUi.toString());
  }

  @Test
  @RequiresHost(HostCapability.TEMPORAL_CLI)
  void keepsWorkflowsInItsStateFileAcrossARestartServesItsUiAndLeavesNothingRunning()
      throws Exception {
    Path db = dir.resolve("state").resolve("temporal.db");
    TemporalDevServer.Options options =
        new TemporalDevServer.Options(cli(), 0, 0, db, NAMESPACE, dir.resolve("server.log"));
    String workflowId = "kept-" + UUID.randomUUID();
    long firstPid;
    String firstTarget;
    try (TemporalDevServer server = TemporalDevServer.start(options)) {
      firstPid = server.pid();
      firstTarget = server.target();
      assertTrue(firstTarget.startsWith("127.0.0.1:"), firstTarget);
      Map<String, IndexedValueType> registered = searchAttributes(firstTarget);
      for (var key : KindlingSearchAttributes.all()) {
        assertEquals(key.getValueType(), registered.get(key.getName()), key.getName());
      }
      URI ui = server.uiUri().orElseThrow();
      HttpResponse<String> page =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(ui).timeout(Duration.ofSeconds(10)).build(),
                  HttpResponse.BodyHandlers.ofString());
      assertEquals(200, page.statusCode(), "the web UI at " + ui);
      start(firstTarget, workflowId);
    }
    assertGone(firstPid, firstTarget);
    assertTrue(Files.size(db) > 0, "state written to " + db);

    try (TemporalDevServer again = TemporalDevServer.start(options)) {
      assertEquals(
          "WORKFLOW_EXECUTION_STATUS_RUNNING",
          status(again.target(), workflowId),
          "the workflow outlived the server's restart");
    }
  }

  @Test
  @RequiresHost(HostCapability.TEMPORAL_CLI)
  void aServerKilledFromOutsideIsReportedAsExited() throws Exception {
    try (TemporalDevServer server =
        TemporalDevServer.start(
            new TemporalDevServer.Options(
                cli(), 0, -1, null, "default", dir.resolve("server.log")))) {
      assertTrue(server.uiUri().isEmpty(), "headless");
      ProcessHandle.of(server.pid()).orElseThrow().destroyForcibly();
      int status = server.exited().get(30, TimeUnit.SECONDS);
      assertTrue(status != 0, "exit status " + status);
    }
  }

  private static Path cli() {
    return TemporalCli.find(System.getenv("KINDLING_TEMPORAL_CLI"), HostPaths.fromEnvironment())
        .orElseThrow();
  }

  private static void assertGone(long pid, String target) {
    assertFalse(
        ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false),
        "the server process is gone");
    int port = Integer.parseInt(target.substring(target.lastIndexOf(':') + 1));
    assertThrows(
        IOException.class,
        () -> {
          try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
          }
        },
        "nothing listens on " + target + " any more");
  }

  private static void start(String target, String workflowId) {
    WorkflowServiceStubs service = stubs(target);
    try {
      service
          .blockingStub()
          .startWorkflowExecution(
              StartWorkflowExecutionRequest.newBuilder()
                  .setNamespace(NAMESPACE)
                  .setWorkflowId(workflowId)
                  .setRequestId(UUID.randomUUID().toString())
                  .setWorkflowType(WorkflowType.newBuilder().setName("Nobody"))
                  .setTaskQueue(TaskQueue.newBuilder().setName("nobody"))
                  .build());
    } finally {
      service.shutdownNow();
    }
  }

  private static String status(String target, String workflowId) {
    WorkflowServiceStubs service = stubs(target);
    try {
      return service
          .blockingStub()
          .describeWorkflowExecution(
              DescribeWorkflowExecutionRequest.newBuilder()
                  .setNamespace(NAMESPACE)
                  .setExecution(WorkflowExecution.newBuilder().setWorkflowId(workflowId))
                  .build())
          .getWorkflowExecutionInfo()
          .getStatus()
          .name();
    } finally {
      service.shutdownNow();
    }
  }

  private static WorkflowServiceStubs stubs(String target) {
    return WorkflowServiceStubs.newServiceStubs(
        WorkflowServiceStubsOptions.newBuilder().setTarget(target).build());
  }

  private static Map<String, IndexedValueType> searchAttributes(String target) {
    WorkflowServiceStubs service = stubs(target);
    OperatorServiceStubs operator =
        OperatorServiceStubs.newServiceStubs(
            OperatorServiceStubsOptions.newBuilder()
                .setChannel(service.getRawChannel())
                .validateAndBuildWithDefaults());
    try {
      return operator
          .blockingStub()
          .listSearchAttributes(
              ListSearchAttributesRequest.newBuilder().setNamespace(NAMESPACE).build())
          .getCustomAttributesMap();
    } finally {
      operator.shutdownNow();
      service.shutdownNow();
    }
  }
}
