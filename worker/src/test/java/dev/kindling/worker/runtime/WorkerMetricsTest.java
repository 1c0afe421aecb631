package dev.kindling.worker.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import dev.kindling.workflows.host.BootMode;
import dev.kindling.workflows.host.ReadinessReport;
import dev.kindling.workflows.host.StageTiming;
import dev.kindling.workflows.host.VmHandle;
import dev.kindling.workflows.testing.Await;
import dev.kindling.workflows.vm.Phase;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityOptions;
import io.temporal.api.workflowservice.v1.CountWorkflowExecutionsRequest;
import io.temporal.api.workflowservice.v1.CountWorkflowExecutionsResponse;
import io.temporal.api.workflowservice.v1.WorkflowServiceGrpc.WorkflowServiceBlockingStub;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.serviceclient.CheckedExceptionWrapper;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.WorkerFactoryOptions;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The worker's metrics endpoint, fed by a real worker on the in-memory Temporal server. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class WorkerMetricsTest {
  private static final String QUEUE = "metrics-test";
  private static final String HOST = "test-host";

  @WorkflowInterface
  public interface ProbeWorkflow {
    /** Runs every probe activity and returns the failure type of the one that fails. */
    @WorkflowMethod
    String run();
  }

  @ActivityInterface
  public interface ProbeActivities {
    ReadinessReport probeReadiness();

    VmHandle bootProbeVm();

    void reachGuest();
  }

  public static class ProbeWorkflowImpl implements ProbeWorkflow {
    private final ProbeActivities activities =
        Workflow.newActivityStub(
            ProbeActivities.class,
            ActivityOptions.newBuilder()
                .setStartToCloseTimeout(Duration.ofSeconds(10))
                .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(1).build())
                .build());

    @Override
    public String run() {
      activities.probeReadiness();
      activities.bootProbeVm();
      try {
        activities.reachGuest();
        return "none";
      } catch (ActivityFailure failure) {
        return ((ApplicationFailure) failure.getCause()).getType();
      }
    }
  }

  public static class ProbeActivitiesImpl implements ProbeActivities {
    @Override
    public ReadinessReport probeReadiness() {
      return new ReadinessReport(
          List.of(new StageTiming("guest-reachable", 1500), new StageTiming("agent-health", 250)),
          1750,
          1280,
          800,
          "kindling",
          null);
    }

    @Override
    public VmHandle bootProbeVm() {
      return new VmHandle(
          "vm0123456789", "qemu", "kvm", 42, "/tmp/vm", "serial.log", BootMode.RESTORE, 0, 800);
    }

    @Override
    public void reachGuest() {
      throw ApplicationFailure.newNonRetryableFailure("x", "GuestUnreachable");
    }
  }

  @Test
  void servesKindlingAndTemporalMetersOfARealWorker() throws Exception {
    try (WorkerMetrics metrics = WorkerMetrics.start("127.0.0.1", 0, HOST);
        TestWorkflowEnvironment env =
            TestWorkflowEnvironment.newInstance(
                TestEnvironmentOptions.newBuilder()
                    .setMetricsScope(metrics.temporalScope())
                    .setWorkerFactoryOptions(
                        WorkerFactoryOptions.newBuilder()
                            .setWorkerInterceptors(metrics.interceptor())
                            .build())
                    .build())) {
      var worker = env.newWorker(QUEUE);
      worker.registerWorkflowImplementationTypes(ProbeWorkflowImpl.class);
      worker.registerActivitiesImplementations(new ProbeActivitiesImpl());
      env.start();

      ProbeWorkflow workflow =
          env.getWorkflowClient()
              .newWorkflowStub(
                  ProbeWorkflow.class,
                  WorkflowOptions.newBuilder()
                      .setTaskQueue(QUEUE)
                      .setWorkflowId("metrics-probe")
                      .build());
      assertEquals("GuestUnreachable", workflow.run());

      assertEquals(URI.create("http://127.0.0.1:" + metrics.port() + "/metrics"), metrics.uri());
      HttpResponse<String> response = get(HttpClient.newHttpClient(), metrics.uri());
      assertEquals(200, response.statusCode());
      assertEquals(
          WorkerMetrics.CONTENT_TYPE, response.headers().firstValue("Content-Type").orElse(""));
      List<Sample> samples = Sample.parse(response.body());

      assertEquals(
          1,
          value(
              samples,
              "kindling_readiness_stage_seconds_count",
              "stage",
              "agent-health",
              "host",
              HOST));
      assertEquals(
          0.25,
          value(samples, "kindling_readiness_stage_seconds_sum", "stage", "agent-health"),
          1e-9);
      assertEquals(
          1.5,
          value(samples, "kindling_readiness_stage_seconds_sum", "stage", "guest-reachable"),
          1e-9);
      assertEquals(
          0,
          value(
              samples,
              "kindling_readiness_stage_seconds_bucket",
              "stage",
              "agent-health",
              "le",
              "0.1"));
      assertEquals(
          1,
          value(
              samples,
              "kindling_readiness_stage_seconds_bucket",
              "stage",
              "agent-health",
              "le",
              "0.25"));
      assertEquals(
          0.8,
          value(
              samples,
              "kindling_vmm_start_seconds_sum",
              "vmm",
              "qemu",
              "mode",
              "RESTORE",
              "host",
              HOST),
          1e-9);
      assertEquals(
          1, value(samples, "kindling_failures_total", "kind", "GuestUnreachable", "host", HOST));
      assertEquals(
          1,
          value(
              samples,
              "kindling_activity_seconds_count",
              "activity",
              "ReachGuest",
              "outcome",
              "GuestUnreachable"));
      assertEquals(
          1,
          value(
              samples,
              "kindling_activity_seconds_count",
              "activity",
              "ProbeReadiness",
              "outcome",
              "ok"));
      assertTrue(
          value(samples, "jvm_threads_live_threads", "host", HOST) > 0, "JVM meters are bound");

      // The SDK's meters reach the registry when the scope next reports (every second).
      List<Sample> withTemporal = awaitSamples(metrics.uri(), "temporal_workflow_completed_total");
      assertEquals(
          1,
          value(
              withTemporal,
              "temporal_workflow_completed_total",
              "workflow_type",
              "ProbeWorkflow",
              "host",
              HOST));
      assertTrue(
          withTemporal.stream()
              .anyMatch(s -> s.name().startsWith("temporal_activity_execution_latency")),
          "the SDK's activity latency is reported");
    }
  }

  @Test
  void healthzAnswersUntilClosed() throws Exception {
    WorkerMetrics metrics = WorkerMetrics.start("127.0.0.1", 0, HOST);
    URI healthz = metrics.uri().resolve("/healthz");
    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<String> health = get(http, healthz);
    assertEquals(200, health.statusCode());
    assertEquals("ok\n", health.body());
    assertEquals(404, get(http, metrics.uri().resolve("/metrics/more")).statusCode());
    assertEquals(
        405,
        http.send(
                HttpRequest.newBuilder(metrics.uri())
                    .POST(HttpRequest.BodyPublishers.noBody())
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .statusCode());

    metrics.close();
    // A new client, so that no pooled connection could answer.
    assertThrows(ConnectException.class, () -> get(HttpClient.newHttpClient(), healthz));
  }

  @Test
  void withoutAPortItStillRecords() {
    try (WorkerMetrics metrics = WorkerMetrics.start("127.0.0.1", -1, HOST)) {
      assertEquals(-1, metrics.port());
      assertNull(metrics.uri());
      assertTrue(
          Sample.parse(metrics.scrape()).stream()
              .anyMatch(s -> s.name().startsWith("jvm_memory_used")));
    }
  }

  @Test
  void tracksVmsByPhaseOnThisHostAndPlacingOnes() throws Exception {
    List<String> queries = new CopyOnWriteArrayList<>();
    WorkflowClient client = clientCounting(queries, Map.of("READY", 3L, "PLACING", 2L));
    try (WorkerMetrics metrics = WorkerMetrics.start("127.0.0.1", -1, HOST)) {
      metrics.trackPhases(client);
      List<Sample> samples = awaitScrape(metrics, "kindling_vms", Phase.values().length);
      assertEquals(3, value(samples, "kindling_vms", "phase", "READY", "host", HOST));
      assertEquals(2, value(samples, "kindling_vms", "phase", "PLACING"));
      assertEquals(0, value(samples, "kindling_vms", "phase", "BOOTING"));
      assertThrows(IllegalStateException.class, () -> metrics.trackPhases(client));
    }
    String placing =
        queries.stream()
            .filter(q -> q.contains("KindlingPhase = 'PLACING'"))
            .findFirst()
            .orElseThrow();
    assertEquals(
        "WorkflowType = 'BrowserVm' AND ExecutionStatus = 'Running' AND KindlingPhase = 'PLACING'",
        placing);
    String ready =
        queries.stream()
            .filter(q -> q.contains("KindlingPhase = 'READY'"))
            .findFirst()
            .orElseThrow();
    assertEquals(
        "WorkflowType = 'BrowserVm' AND ExecutionStatus = 'Running' AND KindlingPhase = 'READY'"
            + " AND KindlingHost = '"
            + HOST
            + "'",
        ready);
  }

  @Test
  void aFailedCountKeepsTheLastValuesAndNeverInventsZeros() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    AtomicBoolean serverDown = new AtomicBoolean(true);
    VmPhaseGauges gauges =
        new VmPhaseGauges(
            registry,
            clientCounting(new CopyOnWriteArrayList<>(), Map.of("READY", 3L), serverDown),
            HOST);
    assertThrows(StatusRuntimeException.class, gauges::refresh);
    assertTrue(registry.find("kindling.vms").gauges().isEmpty(), "no gauge before a first count");

    serverDown.set(false);
    gauges.refresh();
    assertEquals(Phase.values().length, registry.find("kindling.vms").gauges().size());
    serverDown.set(true);
    assertThrows(StatusRuntimeException.class, gauges::refresh);
    assertEquals(3, registry.get("kindling.vms").tag("phase", "READY").gauge().value());
  }

  @Test
  void failureKindsAreApplicationTypesOrUnwrappedClassNames() {
    assertEquals(
        "CommandFailed",
        ActivityMetricsInterceptor.kindOf(ApplicationFailure.newFailure("m", "CommandFailed")));
    assertEquals(
        "IOException",
        ActivityMetricsInterceptor.kindOf(CheckedExceptionWrapper.wrap(new IOException("disk"))));
    assertEquals(
        "IllegalStateException", ActivityMetricsInterceptor.kindOf(new IllegalStateException()));
  }

  private static WorkflowClient clientCounting(
      List<String> queries, Map<String, Long> countByPhase) {
    return clientCounting(queries, countByPhase, new AtomicBoolean());
  }

  /**
   * A client whose server counts {@code countByPhase} (others 0), or answers UNAVAILABLE while
   * {@code serverDown}.
   */
  private static WorkflowClient clientCounting(
      List<String> queries, Map<String, Long> countByPhase, AtomicBoolean serverDown) {
    WorkflowServiceBlockingStub stub = mock(WorkflowServiceBlockingStub.class);
    when(stub.countWorkflowExecutions(any()))
        .thenAnswer(
            call -> {
              if (serverDown.get()) {
                throw Status.UNAVAILABLE.asRuntimeException();
              }
              String query = call.<CountWorkflowExecutionsRequest>getArgument(0).getQuery();
              queries.add(query);
              Matcher phase = Pattern.compile("KindlingPhase = '(\\w+)'").matcher(query);
              long count = phase.find() ? countByPhase.getOrDefault(phase.group(1), 0L) : -1;
              return CountWorkflowExecutionsResponse.newBuilder().setCount(count).build();
            });
    return client(stub);
  }

  private static WorkflowClient client(WorkflowServiceBlockingStub stub) {
    WorkflowServiceStubs stubs = mock(WorkflowServiceStubs.class);
    when(stubs.blockingStub()).thenReturn(stub);
    WorkflowClient client = mock(WorkflowClient.class);
    when(client.getWorkflowServiceStubs()).thenReturn(stubs);
    when(client.getOptions())
        .thenReturn(WorkflowClientOptions.newBuilder().setNamespace("kindling").build());
    return client;
  }

  private static HttpResponse<String> get(HttpClient http, URI uri)
      throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static List<Sample> awaitSamples(URI uri, String name) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    return Await.until(
        name + " at " + uri,
        Duration.ofSeconds(10),
        () -> Sample.parse(get(http, uri).body()),
        samples -> samples.stream().anyMatch(s -> s.name().equals(name)));
  }

  private static List<Sample> awaitScrape(WorkerMetrics metrics, String name, int count)
      throws InterruptedException {
    return Await.until(
        count + " samples of " + name,
        Duration.ofSeconds(10),
        () -> Sample.parse(metrics.scrape()),
        samples -> samples.stream().filter(s -> s.name().equals(name)).count() >= count);
  }

  /**
   * The value of the one sample named {@code name} whose labels include {@code labels} (name,
   * value, ...).
   */
  private static double value(List<Sample> samples, String name, String... labels) {
    Map<String, String> wanted = new HashMap<>();
    for (int i = 0; i < labels.length; i += 2) {
      wanted.put(labels[i], labels[i + 1]);
    }
    List<Sample> matching =
        samples.stream()
            .filter(
                s -> s.name().equals(name) && s.labels().entrySet().containsAll(wanted.entrySet()))
            .toList();
    assertFalse(
        matching.isEmpty(), () -> "no " + name + " with " + wanted + " among " + names(samples));
    assertEquals(1, matching.size(), () -> "several " + name + " with " + wanted + ": " + matching);
    return matching.getFirst().value();
  }

  private static List<String> names(List<Sample> samples) {
    return samples.stream().map(Sample::name).distinct().sorted().toList();
  }

  /** One line of Prometheus' text format: {@code name{label="value",...} value [timestamp]}. */
  record Sample(String name, Map<String, String> labels, double value) {
    private static final Pattern LINE =
        Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)\\})?\\s+(\\S+)(?:\\s+\\d+)?");
    private static final Pattern LABEL =
        Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\",?");

    static List<Sample> parse(String text) {
      return text.lines()
          .filter(line -> !line.isBlank() && !line.startsWith("#"))
          .map(Sample::parseLine)
          .toList();
    }

    private static Sample parseLine(String line) {
      Matcher m = LINE.matcher(line);
      if (!m.matches()) {
        throw new AssertionError("not a Prometheus sample: " + line);
      }
      Map<String, String> labels = new HashMap<>();
      if (m.group(2) != null) {
        Matcher label = LABEL.matcher(m.group(2));
        while (label.find()) {
          labels.put(label.group(1), label.group(2));
        }
      }
      return new Sample(m.group(1), labels, number(m.group(3)));
    }

    private static double number(String text) {
      return switch (text) {
        case "+Inf" -> Double.POSITIVE_INFINITY;
        case "-Inf" -> Double.NEGATIVE_INFINITY;
        default -> Double.parseDouble(text);
      };
    }
  }
}
