package dev.kindling.workflows.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.ArgumentMatchers.isNull;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.timeout;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import dev.kindling.workflows.FailureKind;
import dev.kindling.workflows.Fixtures;
import dev.kindling.workflows.TaskQueues;
import dev.kindling.workflows.TestCluster;
import dev.kindling.workflows.cleanup.HostInventory;
import dev.kindling.workflows.client.KindlingClient;
import dev.kindling.workflows.host.BootMode;
import dev.kindling.workflows.host.ImageRef;
import dev.kindling.workflows.host.NetworkRequest;
import dev.kindling.workflows.host.ReadinessReport;
import dev.kindling.workflows.host.StageTiming;
import dev.kindling.workflows.host.VmRef;
import dev.kindling.workflows.testing.Await;
import dev.kindling.workflows.vm.BrowserVmWorkflow;
import dev.kindling.workflows.vm.Phase;
import dev.kindling.workflows.vm.VmDescription;
import dev.kindling.workflows.vm.VmRequest;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.failure.ApplicationFailure;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PoolWorkflowTest {
  private static final ImageRef IMAGE = Fixtures.SNAPSHOT_IMAGE;
  private static final ImageRef NEWER =
      new ImageRef("cd".repeat(32), "snap-2", "6.12", 1_700_000_100L, Fixtures.TEMPLATE);
  private static final ReadinessReport HANDED_OVER =
      new ReadinessReport(List.of(new StageTiming("secrets", 5)), 20, 1280, 800, "kindling", null);

  private TestCluster cluster;
  private TestCluster.Host h1;
  private KindlingClient kindling;

  /** VMs whose VMM the host reports running: every started one unless a test kills it. */
  private final Set<String> alive = ConcurrentHashMap.newKeySet();

  /** Every VM the host was asked to make. */
  private final Set<String> created = ConcurrentHashMap.newKeySet();

  @BeforeEach
  void startCluster() {
    cluster = TestCluster.withHosts("h1").start();
    h1 = cluster.host("h1");
    kindling = new KindlingClient(cluster.client);
    Fixtures.healthyHost(cluster, "h1", IMAGE);
    doAnswer(
            call -> {
              String vmId = call.<NetworkRequest>getArgument(0).vmId();
              alive.add(vmId);
              created.add(vmId);
              return dev.kindling.workflows.host.VmNetwork.standard(vmId);
            })
        .when(h1.network())
        .createNetwork(any());
    when(h1.images().resolveImage(isNull(), eq(Fixtures.TEMPLATE))).thenReturn(IMAGE);
    when(h1.cleanup().inventory())
        .thenAnswer(
            call ->
                new HostInventory(
                    "h1",
                    alive.stream()
                        .map(id -> new HostInventory.HostVm(id, null, true, true, true, null, null))
                        .toList(),
                    null));
    when(h1.pool().handOver(any())).thenReturn(HANDED_OVER);
  }

  @AfterEach
  void stopCluster() {
    cluster.close();
  }

  private PoolWorkflow startPool(PoolPolicy policy, int vmMemoryMib) {
    PoolWorkflow pool =
        cluster.client.newWorkflowStub(
            PoolWorkflow.class,
            WorkflowOptions.newBuilder()
                .setWorkflowId(PoolWorkflow.workflowId("h1", Fixtures.TEMPLATE))
                .setTaskQueue(TaskQueues.SHARED)
                .build());
    io.temporal.client.WorkflowClient.start(
        pool::run, PoolRequest.start("h1", Fixtures.TEMPLATE, policy, vmMemoryMib));
    return pool;
  }

  private static PoolState await(PoolWorkflow pool, String what, Predicate<PoolState> done)
      throws InterruptedException {
    return Await.until(
        what, Duration.ofSeconds(20), pool::describe, s -> s != null && done.test(s));
  }

  /** The typed failure the session's workflow ended with. */
  private ApplicationFailure failureOf(String sessionId) {
    WorkflowFailedException failed =
        assertThrows(
            WorkflowFailedException.class,
            () ->
                cluster
                    .client
                    .newUntypedWorkflowStub(BrowserVmWorkflow.workflowId(sessionId))
                    .getResult(Void.class));
    return (ApplicationFailure) failed.getCause();
  }

  private static VmRequest session(String id) {
    return new VmRequest(id, null, BootMode.AUTO, 600, 0, 0, 0, Fixtures.TEMPLATE, null, null);
  }

  @Test
  void threeSessionsAtOnceGetTwoPoolVmsAndOneRestoreAndThePoolRefills() throws Exception {
    PoolWorkflow pool = startPool(new PoolPolicy(2, 0, 0), 512);
    PoolState full = await(pool, "two ready VMs", s -> s.ready().size() == 2);
    Set<String> pooled = new HashSet<>();
    full.ready().forEach(vm -> pooled.add(vm.vmId()));

    List<String> sessions = List.of("s1", "s2", "s3");
    sessions.forEach(s -> kindling.startVm(session(s)));
    List<VmDescription> ready = new ArrayList<>();
    for (String s : sessions) {
      kindling.awaitReady(s, Duration.ofSeconds(20));
      ready.add(kindling.describe(s));
    }

    assertTrue(ready.stream().allMatch(d -> d.phase() == Phase.READY), ready.toString());
    List<VmDescription> fromPool = ready.stream().filter(d -> "POOL".equals(d.bootMode())).toList();
    assertEquals(2, fromPool.size(), "two claims: " + ready);
    assertEquals(pooled, Set.of(fromPool.get(0).vmId(), fromPool.get(1).vmId()));
    assertEquals(
        1, ready.stream().filter(d -> "RESTORE".equals(d.bootMode())).count(), "one restore");
    assertEquals(3, ready.stream().map(VmDescription::vmId).distinct().count(), "three VMs");
    PoolState refilled =
        await(
            pool,
            "two new ready VMs",
            s ->
                s.ready().size() == 2
                    && s.ready().stream().noneMatch(v -> pooled.contains(v.vmId())));
    assertEquals(2, refilled.claims());
    assertEquals(1, refilled.misses());
    verify(h1.pool(), timeout(5000).times(2)).handOver(any());

    // Nothing leaks: the sessions' VMs go with their sessions, the pool's with the pool.
    sessions.forEach(kindling::release);
    sessions.forEach(kindling::awaitEnd);
    pool.policy(new PoolPolicy(0, 0, 0), 0);
    await(pool, "a drained pool", s -> s.ready().isEmpty() && s.heldVmIds().isEmpty());
    assertEquals(5, created.size(), "two claimed, one restored, two refilled: " + created);
    for (String vmId : created) {
      verify(h1.vmm(), timeout(5000))
          .destroyVm(org.mockito.ArgumentMatchers.argThat(vm -> vm.vmId().equals(vmId)));
    }
  }

  @Test
  void theClaimedVmsReplacementIsStartedASecondAfterTheClaim() throws Exception {
    Map<String, Long> createdAt = new ConcurrentHashMap<>();
    doAnswer(
            call -> {
              String vmId = call.<NetworkRequest>getArgument(0).vmId();
              alive.add(vmId);
              created.add(vmId);
              createdAt.put(vmId, cluster.env.currentTimeMillis());
              return dev.kindling.workflows.host.VmNetwork.standard(vmId);
            })
        .when(h1.network())
        .createNetwork(any());
    PoolWorkflow pool = startPool(new PoolPolicy(1, 0, 0), 512);
    String first = await(pool, "a ready VM", s -> s.ready().size() == 1).ready().get(0).vmId();

    // The claim comes after the session's start, so its replacement a second after the claim.
    long started = cluster.env.currentTimeMillis();
    kindling.startVm(session("s1"));
    kindling.awaitReady("s1", Duration.ofSeconds(20));
    String next =
        await(pool, "its replacement", s -> s.ready().size() == 1 && !s.holds(first))
            .ready()
            .get(0)
            .vmId();

    long after = createdAt.get(next) - started;
    assertTrue(
        after >= PoolWorkflowImpl.REFILL_AFTER_CLAIM.toMillis(),
        "the replacement's network was made " + after + " ms after the session started");
    kindling.release("s1");
    kindling.awaitEnd("s1");
  }

  @Test
  void concurrentClaimsNeverShareAVmAndARepeatedClaimGetsTheSameAnswer() throws Exception {
    PoolWorkflow pool = startPool(new PoolPolicy(3, 0, 0), 512);
    await(pool, "three ready VMs", s -> s.ready().size() == 3);
    ClientPoolClaims claims = new ClientPoolClaims(cluster.client);
    List<Thread> threads = new ArrayList<>();
    List<PoolClaim> answers = java.util.Collections.synchronizedList(new ArrayList<>());
    for (int i = 0; i < 5; i++) {
      String claimant = "browser-vm-claimant-" + i;
      threads.add(
          Thread.ofVirtual()
              .start(
                  () ->
                      answers.add(
                          claims.claim(
                              "h1",
                              Fixtures.TEMPLATE,
                              new ClaimRequest(claimant, "run-1", null)))));
    }
    for (Thread thread : threads) {
      thread.join();
    }
    List<String> handed =
        answers.stream().filter(PoolClaim::claimed).map(c -> c.vm().vmId()).toList();
    assertEquals(3, handed.size(), answers.toString());
    assertEquals(3, new HashSet<>(handed).size(), "no VM handed out twice: " + handed);
    assertEquals(2, answers.stream().filter(c -> !c.claimed()).count());
    answers.stream()
        .filter(c -> !c.claimed())
        .forEach(c -> assertTrue(c.reason().contains("is empty"), c.reason()));

    PoolClaim first = answers.stream().filter(PoolClaim::claimed).findFirst().orElseThrow();
    PoolClaim again =
        claims.claim(
            "h1", Fixtures.TEMPLATE, new ClaimRequest(first.workflowId(), first.runId(), null));
    assertEquals(first, again, "a repeated claim of the same run gets the same VM");
    PoolClaim laterRun =
        claims.claim("h1", Fixtures.TEMPLATE, new ClaimRequest(first.workflowId(), "run-2", null));
    assertNotEquals(
        first.vm(), laterRun.vm(), "a later run of the same session id is another claimant");
    PoolState after = pool.describe();
    assertEquals(
        first, after.handedOut(first.vm().vmId()).orElseThrow(), "the pool says who has it");
    assertFalse(after.holds(first.vm().vmId()), "a handed-out VM is no longer the pool's");
    assertTrue(after.handedOut("vm0000000000").isEmpty());
    PoolClaim none =
        claims.claim("h1", "browser", new ClaimRequest("browser-vm-someone", "run-1", null));
    assertFalse(none.claimed());
    assertTrue(none.reason().contains("keeps no pool"), none.reason());
  }

  @Test
  void aDeadPoolVmIsReplaced() throws Exception {
    PoolWorkflow pool = startPool(new PoolPolicy(1, 0, 0), 512);
    PooledVm first = await(pool, "a ready VM", s -> s.ready().size() == 1).ready().getFirst();

    alive.remove(first.vmId());
    pool.refresh();
    PoolState replaced =
        await(
            pool,
            "another ready VM",
            s -> s.ready().size() == 1 && !s.ready().getFirst().vmId().equals(first.vmId()));

    assertEquals(1, replaced.replaced());
    verify(h1.vmm(), timeout(5000)).destroyVm(first.vm());
    verify(h1.network(), timeout(5000))
        .deleteNetwork(new NetworkRequest(first.networkRequestId(), first.vmId()));
  }

  @Test
  void promotionRecyclesThePool() throws Exception {
    PoolWorkflow pool = startPool(new PoolPolicy(1, 0, 0), 512);
    PooledVm old = await(pool, "a ready VM", s -> s.ready().size() == 1).ready().getFirst();

    when(h1.images().resolveImage(isNull(), eq(Fixtures.TEMPLATE))).thenReturn(NEWER);
    pool.refresh(); // what the golden image workflow signals after promoting
    PoolState recycled =
        await(
            pool,
            "a VM of the newer image",
            s ->
                s.ready().size() == 1
                    && s.ready().getFirst().image().imageId().equals(NEWER.imageId()));

    assertEquals(NEWER.imageId(), recycled.imageId());
    verify(h1.vmm(), timeout(5000)).destroyVm(old.vm());
  }

  @Test
  void theMemoryCapCutsTheTargetAndALowerPolicyDrains() throws Exception {
    PoolWorkflow pool = startPool(new PoolPolicy(3, 0, 2048), 1024);
    PoolState capped = await(pool, "two ready VMs", s -> s.ready().size() == 2);
    assertEquals(2, capped.target(), "3 VMs of 1024 MiB do not fit 2048 MiB");

    pool.policy(new PoolPolicy(0, 0, 0), 0);
    await(pool, "no VM", s -> s.ready().isEmpty());
    for (PooledVm vm : capped.ready()) {
      verify(h1.vmm(), timeout(5000)).destroyVm(vm.vm());
    }
  }

  @Test
  void aFailedHandOverFailsTheSessionTypedAndDestroysThePoolVm() throws Exception {
    PoolWorkflow pool = startPool(new PoolPolicy(1, 0, 0), 512);
    PooledVm vm = await(pool, "a ready VM", s -> s.ready().size() == 1).ready().getFirst();
    when(h1.pool().handOver(any()))
        .thenThrow(FailureKind.NO_BANNER.failure("websockify sent no RFB banner"));

    kindling.startVm(session("unlucky"));
    ApplicationFailure failure = failureOf("unlucky");

    assertEquals(FailureKind.NO_BANNER.type(), failure.getType());
    VmRef handed = vm.vm();
    verify(h1.vmm(), timeout(5000)).destroyVm(handed);
    verify(h1.network(), timeout(5000))
        .deleteNetwork(new NetworkRequest(vm.networkRequestId(), vm.vmId(), "unlucky", null));
    VmDescription described = kindling.describe("unlucky");
    assertEquals("POOL", described.bootMode());
    assertEquals(vm.vmId(), described.vmId());
  }

  @Test
  void aHandOverWhoseWorkerDiesIsRetriedWithTheSameRequestAndTheSessionGetsItsVm()
      throws Exception {
    PoolWorkflow pool = startPool(new PoolPolicy(1, 0, 0), 512);
    PooledVm vm = await(pool, "a ready VM", s -> s.ready().size() == 1).ready().getFirst();
    List<HandOverRequest> attempts = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.concurrent.CountDownLatch deadWorker = new java.util.concurrent.CountDownLatch(1);
    doAnswer(
            call -> {
              attempts.add(call.getArgument(0));
              if (attempts.size() == 1) {
                deadWorker.await(); // no result and no heartbeat: its worker is gone
                throw new IllegalStateException("the first attempt's worker was dead");
              }
              return HANDED_OVER;
            })
        .when(h1.pool())
        .handOver(any());
    try {
      kindling.startVm(session("survivor"));
      kindling.awaitReady("survivor", Duration.ofSeconds(45));
    } finally {
      deadWorker.countDown();
    }

    VmDescription ready = kindling.describe("survivor");
    assertEquals(Phase.READY, ready.phase());
    assertEquals(vm.vmId(), ready.vmId());
    assertEquals(2, attempts.size(), "one retry after the dead attempt");
    assertEquals(attempts.get(0), attempts.get(1), "the retry carries the same request");
    kindling.release("survivor");
    kindling.awaitEnd("survivor");
    verify(h1.vmm(), timeout(5000)).destroyVm(vm.vm());
  }

  @Test
  void aRequestCannotAskForPool() {
    VmRequest request =
        new VmRequest("asks-pool", null, BootMode.POOL, 600, 0, 0, 0, null, null, null);
    kindling.startVm(request);
    ApplicationFailure cause = failureOf("asks-pool");
    assertEquals(FailureKind.INVALID_INPUT.type(), cause.getType());
    assertTrue(cause.getOriginalMessage().contains("bootMode"), cause.getOriginalMessage());
    assertNull(kindling.describe("asks-pool").hostId(), "refused before placement");
  }

  @Test
  void anInvalidPolicyIsRefused() {
    assertThrows(
        dev.kindling.workflows.InvalidInputException.class,
        () -> new PoolPolicy(PoolPolicy.MAX_TARGET + 1, 0, 0).validated());
    assertThrows(
        dev.kindling.workflows.InvalidInputException.class,
        () -> new PoolPolicy(1, -1, 0).validated());
    assertNotEquals(0, new PoolPolicy(2, 0, 0).targetFor(4096));
  }
}
