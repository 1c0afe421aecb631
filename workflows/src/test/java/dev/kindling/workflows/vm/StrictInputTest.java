package dev.kindling.workflows.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;

import dev.kindling.workflows.Fixtures;
import dev.kindling.workflows.InvalidInputException;
import dev.kindling.workflows.TaskQueues;
import dev.kindling.workflows.TestCluster;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.client.WorkflowUpdateException;
import io.temporal.failure.ApplicationFailure;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What a backend in another language may send: input that cannot be read as a {@link VmRequest}
 * ends the workflow at once with {@code InvalidInput} naming the field, instead of failing its
 * first workflow task forever; nothing reaches a host.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StrictInputTest {
  private TestCluster cluster;

  @BeforeEach
  void startCluster() {
    cluster = TestCluster.withHosts("h1").start();
    Fixtures.healthyHost(cluster, "h1", Fixtures.COLD_IMAGE);
  }

  @AfterEach
  void stopCluster() {
    cluster.close();
  }

  static Stream<Arguments> unreadableInputs() {
    return Stream.of(
        Arguments.of("a string for a number", request("memoryMib", "lots"), "memoryMib"),
        Arguments.of("a number string for a number", request("vcpus", "2"), "vcpus"),
        Arguments.of("an int overflow", request("vcpus", 99999999999L), "vcpus"),
        Arguments.of("a long overflow", request("ttlSeconds", 1e30), "ttlSeconds"),
        Arguments.of("a fraction for a whole number", request("idleSeconds", 1.5), "idleSeconds"),
        Arguments.of("an unknown boot mode", request("bootMode", "WARP"), "bootMode"),
        Arguments.of("a boot mode by number", request("bootMode", 1), "bootMode"),
        Arguments.of("an empty string for a number", request("memoryMib", ""), "memoryMib"),
        Arguments.of("a blank string for a number", request("ttlSeconds", " "), "ttlSeconds"),
        Arguments.of(
            "a whole number with a decimal point", request("ttlSeconds", 3600.0), "ttlSeconds"),
        Arguments.of("a number for a string", request("template", 5), "template"),
        Arguments.of(
            "an object for a string", request("template", Map.of("id", "browser")), "template"),
        Arguments.of(
            "a number in launch args",
            request("launch", Map.of("args", List.of(Map.of("x", 1)))),
            "launch.args[0]"),
        Arguments.of("a bare string", "alice", "VmRequest"),
        Arguments.of("an array", List.of("alice"), "VmRequest"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("unreadableInputs")
  void unreadableInputEndsTheWorkflowWithInvalidInputNamingTheField(
      String what, Object input, String field) {
    WorkflowStub stub =
        cluster.client.newUntypedWorkflowStub(
            BrowserVmWorkflow.WORKFLOW_TYPE,
            WorkflowOptions.newBuilder()
                .setWorkflowId("browser-vm-bad")
                .setTaskQueue(TaskQueues.SHARED)
                .setWorkflowTaskTimeout(Duration.ofSeconds(1))
                .build());
    stub.start(input);

    WorkflowFailedException failed =
        assertThrows(
            WorkflowFailedException.class,
            () -> stub.getResult(5, TimeUnit.SECONDS, VmDescription.class));

    ApplicationFailure cause = assertInstanceOf(ApplicationFailure.class, failed.getCause());
    assertEquals("InvalidInput", cause.getType());
    assertTrue(cause.getOriginalMessage().startsWith(field + ": "), cause.getOriginalMessage());
    verify(cluster.host("h1").network(), never()).createNetwork(any());
  }

  @Test
  void anUnreadableUpdateArgumentIsRejectedAndTheVmRunsOn() throws Exception {
    var kindling = new dev.kindling.workflows.client.KindlingClient(cluster.client);
    kindling.createVm(VmRequest.forSession("s-extend"), Duration.ofSeconds(20));
    WorkflowStub stub = kindling.workflowStub("s-extend");

    WorkflowUpdateException rejected =
        assertThrows(
            WorkflowUpdateException.class, () -> stub.update("extend", Long.class, "lots"));

    ApplicationFailure cause = assertInstanceOf(ApplicationFailure.class, rejected.getCause());
    assertEquals(InvalidInputException.class.getName(), cause.getType());
    assertTrue(cause.getOriginalMessage().contains("\"lots\""), cause.getOriginalMessage());
    assertEquals(Phase.READY, kindling.describe("s-extend").phase());
    kindling.release("s-extend");
  }

  @Test
  void aNumberForTheSessionIdIsNotReadAsItsDigits() {
    WorkflowStub stub =
        cluster.client.newUntypedWorkflowStub(
            BrowserVmWorkflow.WORKFLOW_TYPE,
            WorkflowOptions.newBuilder()
                .setWorkflowId("browser-vm-123")
                .setTaskQueue(TaskQueues.SHARED)
                .build());
    stub.start(Map.of("sessionId", 123));

    WorkflowFailedException failed =
        assertThrows(
            WorkflowFailedException.class,
            () -> stub.getResult(5, TimeUnit.SECONDS, VmDescription.class));

    assertTrue(
        assertInstanceOf(ApplicationFailure.class, failed.getCause())
            .getOriginalMessage()
            .startsWith("sessionId: "));
  }

  private static Map<String, Object> request(String field, Object value) {
    Map<String, Object> request = new LinkedHashMap<>();
    request.put("sessionId", "bad");
    request.put(field, value);
    return request;
  }
}
