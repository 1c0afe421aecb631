package dev.kindling.workflows.vm;

import dev.kindling.workflows.FailureKind;
import dev.kindling.workflows.Failures;
import dev.kindling.workflows.HostStubs;
import dev.kindling.workflows.InvalidInputException;
import dev.kindling.workflows.KindlingSearchAttributes;
import dev.kindling.workflows.Validation;
import dev.kindling.workflows.egress.EgressPolicy;
import dev.kindling.workflows.egress.EgressReport;
import dev.kindling.workflows.egress.EgressRule;
import dev.kindling.workflows.host.BootMode;
import dev.kindling.workflows.host.BootRequest;
import dev.kindling.workflows.host.GuestNetwork;
import dev.kindling.workflows.host.Launch;
import dev.kindling.workflows.host.NetworkRequest;
import dev.kindling.workflows.host.Placement;
import dev.kindling.workflows.host.PlacementActivities;
import dev.kindling.workflows.host.PlacementRequest;
import dev.kindling.workflows.host.ReadinessReport;
import dev.kindling.workflows.host.ReadinessRequest;
import dev.kindling.workflows.host.StageTiming;
import dev.kindling.workflows.host.StartedVm;
import dev.kindling.workflows.host.VmHandle;
import dev.kindling.workflows.host.VmNetwork;
import dev.kindling.workflows.host.VmRef;
import dev.kindling.workflows.pool.ClaimRequest;
import dev.kindling.workflows.pool.HandOverRequest;
import dev.kindling.workflows.pool.PoolClaim;
import dev.kindling.workflows.pool.PoolClaimActivities;
import dev.kindling.workflows.pool.PooledVm;
import io.temporal.activity.LocalActivityOptions;
import io.temporal.api.enums.v1.TimeoutType;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.failure.TimeoutFailure;
import io.temporal.workflow.Async;
import io.temporal.workflow.CancellationScope;
import io.temporal.workflow.Functions;
import io.temporal.workflow.Saga;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;

/**
 * The browser VM saga. Each host step registers its compensation before it runs (after a timeout
 * nobody knows whether the step happened), do and undo share one request id, and compensation runs
 * in a detached scope so a cancelled workflow still cleans up. Teardown after the lease is the same
 * compensation: destroy the VM, then its network.
 */
public class BrowserVmWorkflowImpl implements BrowserVmWorkflow {
  /** A lease lasts this long unless the request names a TTL. */
  public static final Duration DEFAULT_TTL = Duration.ofHours(1);

  /** Neither a TTL nor one extension may exceed this: a forgotten VM must end by itself. */
  public static final Duration MAX_LEASE = Duration.ofHours(24);

  /**
   * A cold boot under TCG takes tens of seconds before websockify serves, and the browser
   * template's Chromium about another minute before it paints (docs/BENCHMARKS.md).
   */
  public static final Duration COLD_READINESS_DEADLINE = Duration.ofMinutes(5);

  /**
   * A restored guest is already running its services and only needs fresh secrets (about a second
   * here); the rest is headroom for a host whose CPUs are shared by many VMs restoring at once.
   */
  public static final Duration RESTORE_READINESS_DEADLINE = Duration.ofSeconds(60);

  public static final int MAX_MEMORY_MIB = 16384;
  public static final int MAX_VCPUS = 16;

  /**
   * Placement only reads the host directory, which every shared-queue worker serves, so it runs as
   * a local activity inside the workflow task instead of a round trip through a task queue; 10 s
   * means the directory is broken. A dead host is still noticed by the host steps'
   * schedule-to-start timeout ({@link HostStubs#HOST_PICKUP}).
   */
  private static final LocalActivityOptions PLACEMENT =
      LocalActivityOptions.newBuilder()
          .setStartToCloseTimeout(Duration.ofSeconds(10))
          .setRetryOptions(
              RetryOptions.newBuilder()
                  .setMaximumAttempts(3)
                  .setDoNotRetry(FailureKind.nonRetryableTypes())
                  .build())
          .build();

  private static final Logger log = Workflow.getLogger(BrowserVmWorkflowImpl.class);

  /**
   * The version marker of making the network and booting in one host step ({@link
   * HostStubs#start()}).
   */
  static final String ONE_HOST_STEP = "network-and-boot-in-one-step";

  /** The version marker of placing a session again when its host does not pick up. */
  static final String RE_PLACE = "re-place";

  /** The version marker of claiming from the host's warm pool before starting a VM. */
  static final String WARM_POOL = "warm-pool";

  /**
   * A claim is one update of the pool's workflow; a repeated claim (after this worker died) gets
   * the same answer, so it may retry.
   */
  private static final LocalActivityOptions POOL_CLAIM =
      LocalActivityOptions.newBuilder()
          .setStartToCloseTimeout(Duration.ofSeconds(10))
          .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(3).build())
          .build();

  private final PlacementActivities placement =
      Workflow.newLocalActivityStub(PlacementActivities.class, PLACEMENT);
  private final PoolClaimActivities poolClaims =
      Workflow.newLocalActivityStub(PoolClaimActivities.class, POOL_CLAIM);
  private Saga saga = newSaga();

  private VmProgress progress;
  private Lease lease;

  /** Where the ready VM runs: what watching its app needs. */
  private HostStubs readyHost;

  private VmRef readyVm;
  private boolean watchApp;
  private String appExit;
  private boolean released;
  private String hostLost;
  private CancellationScope provisioning;

  @Override
  public VmDescription run(VmRequest request) {
    String sessionId = request == null ? null : request.sessionId();
    progress = new VmProgress(sessionId, Workflow.currentTimeMillis());
    ValidRequest valid;
    try {
      valid = ValidRequest.of(request);
    } catch (InvalidInputException e) {
      fail(FailureKind.INVALID_INPUT.type(), e.getMessage());
      throw FailureKind.INVALID_INPUT.failure(e.getMessage());
    }
    progress.vmId(vmIdFrom(Workflow.randomUUID().toString()));
    progress.launch(valid.launch());
    Workflow.upsertTypedSearchAttributes(KindlingSearchAttributes.SESSION.valueSet(sessionId));
    phase(Phase.PLACING);

    try {
      provisioning = Workflow.newCancellationScope(() -> provision(valid));
      provisioning.run();
    } catch (RuntimeException e) {
      if (released) {
        // Whatever the interrupted step reported, the session no longer wants this VM.
        log.info(
            "Session {} released during {}; compensating ({})",
            sessionId,
            progress.phase(),
            e.toString());
        teardown();
        return progress.describe();
      }
      if (Failures.isCancellation(e)) {
        fail(FailureKind.CANCELLED.type(), "cancelled during " + progress.phase());
        compensate();
        throw e;
      }
      ApplicationFailure failure = Failures.typed(step(), e);
      fail(failure.getType(), failure.getOriginalMessage());
      compensate();
      throw failure;
    }

    lease = new Lease(Workflow.currentTimeMillis(), valid.ttl(), valid.idle());
    if (released) {
      lease.release();
    }
    progress.leaseExpiresAt(lease.expiresAt());
    phase(Phase.READY);
    log.info("VM {} for session {} ready at {}", progress.vmId(), sessionId, progress.endpoint());
    CancellationScope watch = watchApp();
    try {
      Lease.End end = lease.awaitEnd();
      if (end == Lease.End.HOST_LOST) {
        // Teardown would wait on a host nobody serves; the host's reconciler reclaims the VM
        // when the host returns (this workflow no longer runs, so it owns nothing).
        watch.cancel();
        fail(FailureKind.HOST_LOST.type(), hostLost);
        throw FailureKind.HOST_LOST.failure(hostLost);
      }
      log.info(
          "Lease of session {} ended: {}{}",
          sessionId,
          end,
          appExit == null ? "" : " (the app " + appExit + ")");
      Map<String, Object> memo = new HashMap<>();
      memo.put("leaseEnd", end.name());
      if (appExit != null) {
        memo.put("appExit", appExit);
      }
      Workflow.upsertMemo(memo);
    } catch (CanceledFailure e) {
      log.info("Workflow for session {} cancelled while READY; tearing down", sessionId);
      watch.cancel();
      teardown();
      throw e;
    }
    watch.cancel();
    teardown();
    return progress.describe();
  }

  /**
   * Places the session and provisions its VM there. A host whose worker does not pick up the first
   * step in time is avoided and the session placed again, with a new VM id and none of that host's
   * compensations: the step never started there, and anything an earlier attempt of it left is the
   * host reconciler's (its owner record names a VM this workflow no longer describes).
   */
  private void provision(ValidRequest request) {
    List<String> avoid = new ArrayList<>();
    while (true) {
      Placement placed =
          placement.place(
              new PlacementRequest(
                  request.sessionId(), request.imageId(), request.template(), avoid));
      try {
        provisionOn(placed, request);
        return;
      } catch (NotPickedUp e) {
        if (Workflow.getVersion(RE_PLACE, Workflow.DEFAULT_VERSION, 1)
            == Workflow.DEFAULT_VERSION) {
          throw e.failure;
        }
        log.warn(
            "Session {}: host {} did not pick up the first step in {}; placing it again",
            request.sessionId(),
            placed.hostId(),
            HostStubs.HOST_PICKUP);
        progress.addTiming("not-picked-up/" + placed.hostId(), HostStubs.HOST_PICKUP.toMillis());
        avoid.add(placed.hostId());
        saga = newSaga();
        readyHost = null;
        readyVm = null;
        progress.vmId(vmIdFrom(Workflow.randomUUID().toString()));
        phase(Phase.PLACING);
      }
    }
  }

  /** The first host step, whose schedule-to-start timeout means the host is gone. */
  private static <T> T firstStep(Functions.Func<T> step) {
    try {
      return step.apply();
    } catch (ActivityFailure e) {
      if (e.getCause() instanceof TimeoutFailure timeout
          && timeout.getTimeoutType() == TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START) {
        throw new NotPickedUp(e);
      }
      throw e;
    }
  }

  /** No worker of the placed host started its first step: try another host. */
  private static final class NotPickedUp extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final transient ActivityFailure failure;

    NotPickedUp(ActivityFailure failure) {
      super(failure.getMessage(), failure, false, false);
      this.failure = failure;
    }
  }

  private static Saga newSaga() {
    return new Saga(
        new Saga.Options.Builder()
            .setParallelCompensation(false)
            .setContinueWithError(true)
            .build());
  }

  private void provisionOn(Placement placed, ValidRequest request) {
    String sessionId = request.sessionId();
    String vmId = progress.vmId();
    String template = placed.image().template();
    progress.placed(placed.hostId(), placed.image().imageId(), template, placed.proxyUrl());
    BootMode mode = resolve(request.bootMode(), placed);
    HostStubs host = HostStubs.on(placed.taskQueue());
    long claimStarted = Workflow.currentTimeMillis();
    PooledVm pooled = request.bootMode() == BootMode.AUTO ? claim(placed) : null;
    if (pooled != null) {
      mode = BootMode.POOL;
      progress.vmId(pooled.vmId());
      vmId = pooled.vmId();
    }
    progress.bootMode(mode.name());
    Workflow.upsertTypedSearchAttributes(
        KindlingSearchAttributes.HOST.valueSet(placed.hostId()),
        KindlingSearchAttributes.IMAGE.valueSet(placed.image().imageId()),
        KindlingSearchAttributes.TEMPLATE.valueSet(template == null ? "" : template));
    Map<String, Object> memo = new HashMap<>();
    memo.put("vmId", vmId);
    memo.put("hostId", placed.hostId());
    memo.put("imageId", placed.image().imageId());
    memo.put("bootMode", mode.name());
    if (template != null) {
      memo.put("template", template);
    }
    Workflow.upsertMemo(memo);
    if (pooled != null) {
      handOver(host, placed, request, pooled, claimStarted);
      return;
    }

    NetworkRequest networkRequest =
        new NetworkRequest(Workflow.randomUUID().toString(), vmId, sessionId, request.egress());
    saga.addCompensation(host.networkTeardown()::deleteNetwork, networkRequest);
    VmHandle handle;
    VmRef vm;
    if (Workflow.getVersion(ONE_HOST_STEP, Workflow.DEFAULT_VERSION, 1)
        == Workflow.DEFAULT_VERSION) {
      // Runs started before the network and the boot were one step replay the two steps they made.
      phase(Phase.NETWORK);
      VmNetwork network = firstStep(() -> host.network().createNetwork(networkRequest));
      phase(Phase.BOOTING);
      vm = new VmRef(Workflow.randomUUID().toString(), vmId, network);
      saga.addCompensation(host.vmmTeardown()::destroyVm, vm);
      handle =
          host.boot()
              .bootVm(
                  new BootRequest(
                      vm.requestId(),
                      vmId,
                      placed.image(),
                      network,
                      mode,
                      request.memoryMib(),
                      request.vcpus()));
    } else {
      phase(Phase.BOOTING);
      vm = new VmRef(Workflow.randomUUID().toString(), vmId, VmNetwork.standard(vmId));
      saga.addCompensation(host.vmmTeardown()::destroyVm, vm);
      BootRequest boot =
          new BootRequest(
              vm.requestId(),
              vmId,
              placed.image(),
              null,
              mode,
              request.memoryMib(),
              request.vcpus());
      StartedVm started = firstStep(() -> host.start().startVm(networkRequest, boot));
      vm = new VmRef(vm.requestId(), vmId, started.network());
      handle = started.handle();
      progress.addTiming("booting/network", started.networkMillis());
    }
    progress.addTiming("vmm-start", handle.vmmStartMillis());

    readyHost = host;
    readyVm = vm;
    phase(Phase.READINESS);
    Duration deadline =
        mode == BootMode.RESTORE ? RESTORE_READINESS_DEADLINE : COLD_READINESS_DEADLINE;
    ReadinessReport report =
        host.readiness(deadline)
            .awaitReady(new ReadinessRequest(vm, deadline.toMillis(), request.launch()));
    ready(placed, vm, report);
  }

  /**
   * A ready VM from the host's pool of the placed template, or null when the pool has none (or the
   * host keeps no pool): it belongs to this session from the claim on.
   */
  private PooledVm claim(Placement placed) {
    if (placed.image().template() == null
        || Workflow.getVersion(WARM_POOL, Workflow.DEFAULT_VERSION, 1)
            == Workflow.DEFAULT_VERSION) {
      return null;
    }
    PoolClaim claim;
    try {
      claim =
          poolClaims.claim(
              placed.hostId(),
              placed.image().template(),
              new ClaimRequest(
                  Workflow.getInfo().getWorkflowId(),
                  Workflow.getInfo().getRunId(),
                  placed.image().imageId()));
    } catch (RuntimeException e) {
      if (Failures.isCancellation(e)) {
        throw e;
      }
      // The pool only saves time: a session never fails because it could not be asked. A VM it
      // handed out to a claim whose answer was lost goes back to the reconciler once this session
      // ends (PoolState#handedOut).
      log.warn(
          "Session {}: asking the pool failed, starting a VM ({})",
          progress.sessionId(),
          e.toString());
      return null;
    }
    if (!claim.claimed()) {
      log.info("Session {}: no pool VM, starting one ({})", progress.sessionId(), claim.reason());
      return null;
    }
    return claim.vm();
  }

  /**
   * Makes a claimed pool VM this session's: its teardown is registered first (the VM is ours from
   * the claim on), then the host gives it fresh secrets, the session's egress and launch, and
   * proves it ready again.
   */
  private void handOver(
      HostStubs host, Placement placed, ValidRequest request, PooledVm pooled, long claimStarted) {
    NetworkRequest networkRequest =
        new NetworkRequest(
            pooled.networkRequestId(), pooled.vmId(), request.sessionId(), request.egress());
    saga.addCompensation(host.networkTeardown()::deleteNetwork, networkRequest);
    saga.addCompensation(host.vmmTeardown()::destroyVm, pooled.vm());
    readyHost = host;
    readyVm = pooled.vm();
    phase(Phase.READINESS);
    Duration deadline = RESTORE_READINESS_DEADLINE;
    HandOverRequest handOver =
        new HandOverRequest(
            pooled.vm(), networkRequest, pooled.image(), deadline.toMillis(), request.launch());
    ReadinessReport report = firstStep(() -> host.pool(deadline).handOver(handOver));
    Workflow.getMetricsScope()
        .tagged(Map.of("host", placed.hostId(), "template", placed.image().template()))
        .timer("kindling_pool_claim_latency")
        .record(com.uber.m3.util.Duration.ofMillis(Workflow.currentTimeMillis() - claimStarted));
    ready(placed, pooled.vm(), report.withAppOnExitIfUnknown(pooled.appOnExit()));
  }

  /** Records what readiness found and where the ready VM's websockify is. */
  private void ready(Placement placed, VmRef vm, ReadinessReport report) {
    String sessionId = progress.sessionId();
    watchApp = report.releasesOnAppExit();
    if (report.stages() != null) {
      for (StageTiming stage : report.stages()) {
        progress.addTiming("readiness/" + stage.stage(), stage.millis());
      }
    }
    progress.endpoint(
        new Endpoint(
            sessionId,
            placed.hostId(),
            vm.vmId(),
            vm.network().namespace(),
            GuestNetwork.GUEST_ADDRESS,
            GuestNetwork.WEBSOCKIFY_PORT,
            "/"));
  }

  /**
   * Watches the app of the ready VM on its host when its template's {@code onExit} is {@code
   * release}: when the app exits, the lease ends. A watch that fails leaves the lease to its
   * timers. Templates that restart their app are not watched.
   */
  private CancellationScope watchApp() {
    int version =
        watchApp
            ? Workflow.getVersion("watch-app", Workflow.DEFAULT_VERSION, 1)
            : Workflow.DEFAULT_VERSION;
    CancellationScope scope =
        Workflow.newCancellationScope(
            () -> {
              if (version == Workflow.DEFAULT_VERSION) {
                return;
              }
              Async.function(readyHost.appWatch()::awaitAppExit, readyVm)
                  .handle(
                      (exit, failure) -> {
                        if (failure == null && exit != null && exit.exited()) {
                          appExit = exit.how();
                          lease.appExited();
                        } else if (failure != null && !Failures.isCancellation(failure)) {
                          log.warn(
                              "Watching the app of session {} failed; the lease runs on: {}",
                              progress.sessionId(),
                              failure.toString());
                        }
                        return null;
                      });
            });
    scope.run();
    return scope;
  }

  private static BootMode resolve(BootMode requested, Placement placed) {
    if (requested == null || requested == BootMode.AUTO) {
      return placed.image().hasSnapshot() ? BootMode.RESTORE : BootMode.COLD;
    }
    if (requested == BootMode.RESTORE && !placed.image().hasSnapshot()) {
      throw FailureKind.INVALID_INPUT.failure(
          "bootMode RESTORE: image " + placed.image().imageId() + " has no memory snapshot");
    }
    return requested;
  }

  @Override
  public VmDescription describe() {
    return progress == null ? null : progress.describe();
  }

  @Override
  public VmDescription awaitReady() {
    Workflow.await(() -> progress != null && progress.phase().settled());
    return progress.describe();
  }

  @Override
  public void release() {
    released = true;
    if (lease != null) {
      lease.release();
    } else if (provisioning != null) {
      provisioning.cancel("released");
    }
  }

  @Override
  public void hostLost(String reason) {
    if (lease == null) {
      log.info(
          "Session {} not READY when its host was lost; its host steps time out instead",
          progress == null ? null : progress.sessionId());
      return;
    }
    hostLost = reason == null || reason.isBlank() ? "host lost" : reason;
    lease.hostLost();
  }

  @Override
  public void viewers(Viewers viewers) {
    if (progress != null) {
      progress.viewers(viewers);
      Workflow.setCurrentDetails(progress.details());
    }
  }

  @Override
  public void egress(EgressReport report) {
    if (progress != null && report != null) {
      EgressReport last = progress.describe().egress();
      boolean rulesSentBefore = report.rules().isEmpty() && last != null;
      progress.egress(rulesSentBefore ? report.withRules(last.rules()) : report);
      Workflow.setCurrentDetails(progress.details());
    }
  }

  @Override
  public void input() {
    if (lease != null) {
      lease.input(Workflow.currentTimeMillis());
    }
  }

  @Override
  public long extend(long seconds) {
    long expiry = lease.extend(Workflow.currentTimeMillis(), Duration.ofSeconds(seconds));
    progress.leaseExpiresAt(expiry);
    Workflow.setCurrentDetails(progress.details());
    log.info("Lease of session {} extended to {}", progress.sessionId(), expiry);
    return expiry;
  }

  @Override
  public void validateExtend(long seconds) {
    if (progress == null || progress.phase() != Phase.READY || lease == null || released) {
      throw new IllegalStateException(
          "extend: the VM is "
              + (progress == null ? "not started" : progress.phase())
              + ", not READY");
    }
    if (seconds <= 0) {
      throw new IllegalArgumentException("extend: seconds must be positive, was " + seconds);
    }
    if (seconds > MAX_LEASE.toSeconds()) {
      throw new IllegalArgumentException(
          "extend: at most " + MAX_LEASE.toSeconds() + " seconds, was " + seconds);
    }
  }

  private void teardown() {
    phase(Phase.RELEASING);
    try {
      Workflow.newDetachedCancellationScope(saga::compensate).run();
    } catch (Saga.CompensationException e) {
      String message = "teardown left something behind; cleanup will retry: " + e.getMessage();
      fail(FailureKind.TEARDOWN_FAILED.type(), message);
      throw FailureKind.TEARDOWN_FAILED.failure(message);
    }
    phase(Phase.RELEASED);
    answerWaitingClients();
  }

  private void compensate() {
    try {
      Workflow.newDetachedCancellationScope(saga::compensate).run();
    } catch (Saga.CompensationException e) {
      log.warn(
          "Compensation for session {} incomplete; cleanup will retry: {}",
          progress.sessionId(),
          e.toString());
    }
  }

  /**
   * Records the failure; the caller then ends the workflow, after clients waiting in {@link
   * #awaitReady} have their answer.
   */
  private void fail(String type, String message) {
    progress.failed(type, message);
    progress.end(Phase.FAILED, Workflow.currentTimeMillis());
    Workflow.upsertTypedSearchAttributes(
        KindlingSearchAttributes.PHASE.valueSet(Phase.FAILED.name()));
    Workflow.setCurrentDetails(progress.details());
    log.warn("Session {} failed: {}: {}", progress.sessionId(), type, message);
    answerWaitingClients();
  }

  /**
   * Lets {@link #awaitReady} calls complete before the workflow ends (also when it ends because it
   * was cancelled).
   */
  private static void answerWaitingClients() {
    Workflow.newDetachedCancellationScope(() -> Workflow.await(Workflow::isEveryHandlerFinished))
        .run();
  }

  private void phase(Phase next) {
    if (progress.phase() != next) {
      progress.enter(next, Workflow.currentTimeMillis());
    }
    Workflow.upsertTypedSearchAttributes(KindlingSearchAttributes.PHASE.valueSet(next.name()));
    Workflow.setCurrentDetails(progress.details());
  }

  private String step() {
    String phase = progress.phase().name().toLowerCase(Locale.ROOT);
    String host = progress.hostId();
    return host == null ? phase : phase + " on host " + host;
  }

  /** "vm" and 10 hex digits: short enough for interface names derived from it. */
  public static String vmIdFrom(String uuid) {
    return "vm" + uuid.replace("-", "").substring(0, 10);
  }

  /** A request with defaults applied and every field checked. */
  record ValidRequest(
      String sessionId,
      String imageId,
      BootMode bootMode,
      Duration ttl,
      Duration idle,
      int memoryMib,
      int vcpus,
      String template,
      Launch launch,
      List<String> egress) {

    static ValidRequest of(VmRequest request) {
      if (request == null) {
        throw new InvalidInputException("request", "is required");
      }
      String sessionId = Validation.sessionId(request.sessionId());
      String imageId = request.imageId() == null ? null : Validation.imageId(request.imageId());
      Duration ttl =
          request.ttlSeconds() == 0 ? DEFAULT_TTL : lease("ttlSeconds", request.ttlSeconds());
      Duration idle =
          request.idleSeconds() == 0 ? Duration.ZERO : lease("idleSeconds", request.idleSeconds());
      // Zero is passed on: the host boots with the image's template defaults.
      int memory =
          request.memoryMib() == 0
              ? 0
              : bounded("memoryMib", request.memoryMib(), 128, MAX_MEMORY_MIB);
      int vcpus = request.vcpus() == 0 ? 0 : bounded("vcpus", request.vcpus(), 1, MAX_VCPUS);
      BootMode mode = request.bootMode() == null ? BootMode.AUTO : request.bootMode();
      if (mode == BootMode.POOL) {
        throw new InvalidInputException(
            "bootMode",
            "POOL is how describe reports a VM taken from a warm pool; AUTO (the default) takes"
                + " one when the host has one ready");
      }
      String template =
          request.template() == null ? null : Validation.templateId(request.template());
      Launch launch =
          request.launch() == null || request.launch().isEmpty()
              ? null
              : request.launch().validated();
      // Canonical entries, so the host and describe see what was checked; null keeps the
      // template's.
      List<String> egress =
          request.egress() == null
              ? null
              : EgressPolicy.parse(request.egress()).rules().stream()
                  .map(EgressRule::toString)
                  .toList();
      return new ValidRequest(
          sessionId, imageId, mode, ttl, idle, memory, vcpus, template, launch, egress);
    }

    private static Duration lease(String field, long seconds) {
      Validation.positiveSeconds(field, seconds);
      if (seconds > MAX_LEASE.toSeconds()) {
        throw new InvalidInputException(
            field, "at most " + MAX_LEASE.toSeconds() + " seconds, was " + seconds);
      }
      return Duration.ofSeconds(seconds);
    }

    private static int bounded(String field, int value, int min, int max) {
      if (value < min || value > max) {
        throw new InvalidInputException(
            field, "must be between " + min + " and " + max + ", was " + value);
      }
      return value;
    }
  }
}
