package dev.kindling.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.proxy.RouteResolver.Resolution;
import dev.kindling.workflows.TaskQueues;
import dev.kindling.workflows.vm.BrowserVmWorkflow;
import dev.kindling.workflows.vm.Endpoint;
import dev.kindling.workflows.vm.Phase;
import dev.kindling.workflows.vm.Viewers;
import dev.kindling.workflows.vm.VmDescription;
import dev.kindling.workflows.vm.VmRequest;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.workflow.Workflow;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Routes from a real (in-memory) Temporal server, answered by a small fake browser-VM workflow. */
class TemporalRouteResolverTest {
  private TestWorkflowEnvironment env;
  private WorkflowClient client;
  private final MovableClock clock = new MovableClock();

  /** The public URL of the proxy on host-a, the host every fake VM lives on. */
  static final String PROXY_A = "http://host-a.example:6090";

  /**
   * Boots for a minute, is READY until released, then RELEASED, on host-a. Session "no-ns"
   * publishes no namespace.
   */
  public static class FakeVm implements BrowserVmWorkflow {
    private String sessionId;
    private Phase phase = Phase.BOOTING;
    private Endpoint endpoint;
    private boolean released;

    @Override
    public VmDescription run(VmRequest request) {
      sessionId = request.sessionId();
      Workflow.sleep(Duration.ofMinutes(1));
      String namespace = sessionId.equals("no-ns") ? "" : "kindling-vm0123456789";
      endpoint =
          new Endpoint(
              sessionId, "host-a", "vm0123456789", namespace, "169.254.77.2", 6080, "/websockify");
      phase = Phase.READY;
      Workflow.await(() -> released);
      phase = Phase.RELEASED;
      return describe();
    }

    @Override
    public void egress(dev.kindling.workflows.egress.EgressReport report) {}

    @Override
    public VmDescription describe() {
      return new VmDescription(
          sessionId,
          phase,
          "host-a",
          null,
          null,
          null,
          "vm0123456789",
          "COLD",
          endpoint,
          List.of(),
          0,
          null,
          null,
          Viewers.NONE,
          null,
          VmDescription.pageUrl(PROXY_A, sessionId));
    }

    @Override
    public void viewers(Viewers viewers) {}

    @Override
    public void input() {}

    @Override
    public void hostLost(String reason) {}

    @Override
    public VmDescription awaitReady() {
      Workflow.await(() -> phase.settled());
      return describe();
    }

    @Override
    public void release() {
      released = true;
    }

    @Override
    public long extend(long seconds) {
      return 0;
    }

    @Override
    public void validateExtend(long seconds) {}
  }

  @BeforeEach
  void start() {
    env = TestWorkflowEnvironment.newInstance();
    env.newWorker(TaskQueues.SHARED).registerWorkflowImplementationTypes(FakeVm.class);
    env.start();
    client = env.getWorkflowClient();
  }

  @AfterEach
  void stop() {
    env.close();
  }

  private BrowserVmWorkflow startVm(String sessionId) {
    BrowserVmWorkflow vm =
        client.newWorkflowStub(
            BrowserVmWorkflow.class,
            WorkflowOptions.newBuilder()
                .setWorkflowId(BrowserVmWorkflow.workflowId(sessionId))
                .setTaskQueue(TaskQueues.SHARED)
                .build());
    WorkflowClient.start(vm::run, VmRequest.forSession(sessionId));
    return vm;
  }

  @Test
  void followsTheWorkflowFromNotReadyToReadyToGone() {
    TemporalRouteResolver resolver =
        new TemporalRouteResolver(client, "host-a", Duration.ofSeconds(5), clock);
    BrowserVmWorkflow vm = startVm("s-7");

    assertInstanceOf(Resolution.NotReady.class, resolver.resolve("s-7"));

    env.sleep(Duration.ofMinutes(2));
    Resolution.Found found = assertInstanceOf(Resolution.Found.class, resolver.resolve("s-7"));
    assertEquals(
        new Route(
            "s-7",
            "vm0123456789",
            new NamespacedUpstream("kindling-vm0123456789", "169.254.77.2", 6080, "/websockify")),
        found.route());

    vm.release();
    client
        .newUntypedWorkflowStub(BrowserVmWorkflow.workflowId("s-7"))
        .getResult(VmDescription.class);
    // Within the cache's lifetime the route is served from the cache; once it expires, the lookup
    // finds the session ended and the entry is gone.
    assertInstanceOf(Resolution.Found.class, resolver.resolve("s-7"));
    clock.advance(Duration.ofSeconds(6));
    Resolution.Unknown ended = assertInstanceOf(Resolution.Unknown.class, resolver.resolve("s-7"));
    assertTrue(ended.detail().contains("RELEASED"), ended.detail());
  }

  @Test
  void invalidatingDropsACachedRoute() {
    TemporalRouteResolver resolver =
        new TemporalRouteResolver(client, "host-a", Duration.ofMinutes(5), clock);
    BrowserVmWorkflow vm = startVm("s-8");
    env.sleep(Duration.ofMinutes(2));
    assertInstanceOf(Resolution.Found.class, resolver.resolve("s-8"));
    vm.release();
    client
        .newUntypedWorkflowStub(BrowserVmWorkflow.workflowId("s-8"))
        .getResult(VmDescription.class);

    resolver.invalidate("s-8");

    assertInstanceOf(Resolution.Unknown.class, resolver.resolve("s-8"));
  }

  @Test
  void aSessionWithoutAWorkflowIsUnknown() {
    TemporalRouteResolver resolver =
        new TemporalRouteResolver(client, "host-a", Duration.ofSeconds(5), clock);

    assertInstanceOf(Resolution.Unknown.class, resolver.resolve("never-started"));
  }

  @Test
  void anEndpointWithoutANamespaceIsRefusedNotRoutedThroughTheHost() {
    TemporalRouteResolver resolver =
        new TemporalRouteResolver(client, "host-a", Duration.ofSeconds(5), clock);
    startVm("no-ns");
    env.sleep(Duration.ofMinutes(2));

    Resolution.Unroutable refused =
        assertInstanceOf(Resolution.Unroutable.class, resolver.resolve("no-ns"));
    assertTrue(refused.detail().contains("namespace"), refused.detail());
  }

  @Test
  void aReadySessionOnAnotherHostIsElsewhereWithItsPageThere() {
    TemporalRouteResolver onB =
        new TemporalRouteResolver(client, "host-b", Duration.ofMinutes(5), clock);
    TemporalRouteResolver onA =
        new TemporalRouteResolver(client, "host-a", Duration.ofMinutes(5), clock);
    startVm("s-9");

    assertInstanceOf(Resolution.NotReady.class, onB.resolve("s-9"), "not ready is not elsewhere");
    env.sleep(Duration.ofMinutes(2));

    assertEquals(
        new Resolution.Elsewhere("host-a", "http://host-a.example:6090/sessions/s-9/"),
        onB.resolve("s-9"));
    assertInstanceOf(Resolution.Found.class, onA.resolve("s-9"));
  }

  @Test
  void aProxyThatDoesNotKnowItsHostRoutesEveryReadySession() {
    TemporalRouteResolver resolver =
        new TemporalRouteResolver(client, null, Duration.ofSeconds(5), clock);
    startVm("s-10");
    env.sleep(Duration.ofMinutes(2));

    assertInstanceOf(Resolution.Found.class, resolver.resolve("s-10"));
  }

  @Test
  void elsewhereIsNotCached() {
    TemporalRouteResolver onB =
        new TemporalRouteResolver(client, "host-b", Duration.ofMinutes(5), clock);
    BrowserVmWorkflow vm = startVm("s-11");
    env.sleep(Duration.ofMinutes(2));
    assertInstanceOf(Resolution.Elsewhere.class, onB.resolve("s-11"));
    vm.release();
    client
        .newUntypedWorkflowStub(BrowserVmWorkflow.workflowId("s-11"))
        .getResult(VmDescription.class);

    assertInstanceOf(Resolution.Unknown.class, onB.resolve("s-11"));
  }

  /** A clock a test moves by hand. */
  static final class MovableClock extends Clock {
    private Instant now = Instant.parse("2026-01-01T00:00:00Z");

    void advance(Duration by) {
      now = now.plus(by);
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}
