package dev.kindling.workflows.pool;

import com.uber.m3.tally.Scope;
import dev.kindling.workflows.FailureKind;
import dev.kindling.workflows.Failures;
import dev.kindling.workflows.HostStubs;
import dev.kindling.workflows.InvalidInputException;
import dev.kindling.workflows.TaskQueues;
import dev.kindling.workflows.Validation;
import dev.kindling.workflows.cleanup.HostInventory;
import dev.kindling.workflows.host.BootMode;
import dev.kindling.workflows.host.BootRequest;
import dev.kindling.workflows.host.ImageRef;
import dev.kindling.workflows.host.NetworkRequest;
import dev.kindling.workflows.host.ReadinessReport;
import dev.kindling.workflows.host.ReadinessRequest;
import dev.kindling.workflows.host.StartedVm;
import dev.kindling.workflows.host.VmNetwork;
import dev.kindling.workflows.host.VmRef;
import dev.kindling.workflows.vm.BrowserVmWorkflowImpl;
import io.temporal.workflow.Async;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInit;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;

/**
 * Keeps a pool's target of ready VMs. Every VM is prepared exactly as a session's is (the same host
 * steps and readiness, without a session and so without egress) and belongs to the pool until one
 * claim hands it to a session; the session's teardown destroys it. Every {@link #CHECK_EVERY} (and
 * on {@link #refresh}) the pool looks at the host's current image, its VMs' processes and their
 * age, and destroys what died, aged out or is of an older image.
 */
public class PoolWorkflowImpl implements PoolWorkflow {
  static final Duration CHECK_EVERY = Duration.ofSeconds(30);

  /** After a VM failed to become ready, the pool waits this long before preparing another. */
  static final Duration BACKOFF = Duration.ofSeconds(30);

  /**
   * After a claim the pool waits this long before preparing the claimed VM's replacement. Starting
   * a VM takes the host's CPUs for a moment (a restore under emulation, a full core for seconds),
   * and the claimed VM's hand-over and its user's first frame come first; a session arriving in
   * this second finds the pool that much emptier.
   */
  static final Duration REFILL_AFTER_CLAIM = Duration.ofSeconds(1);

  static final String REFILL_AFTER_CLAIM_CHANGE = "refill-after-claim";

  /**
   * Claims that handed out a VM, remembered per claimant so that a repeated claim gets the same
   * answer and the reconciler can ask whether a handed-out VM's session still runs. A claimant
   * takes its VM over within seconds; far more claims than that are never in flight.
   */
  static final int RECENT_CLAIMS = 64;

  private static final Logger log = Workflow.getLogger(PoolWorkflowImpl.class);

  private String hostId;
  private String template;
  private PoolPolicy policy;
  private int vmMemoryMib;
  private HostStubs host;
  private Scope metrics;
  private final List<PooledVm> ready = new ArrayList<>();
  private final Map<String, PoolClaim> recentClaims = new LinkedHashMap<>();

  /** VMs being prepared or destroyed: the pool's until they are ready or gone. */
  private final Set<String> inFlight = new java.util.TreeSet<>();

  private ImageRef image;
  private int preparing;
  private int destroying;
  private long claims;
  private long misses;
  private long replaced;
  private String lastProblem;

  /**
   * No VM is prepared before this: {@link #BACKOFF} after a failure, {@link #REFILL_AFTER_CLAIM}
   * after a claim. Not carried over a continue-as-new, which at worst prepares one that much early.
   */
  private long prepareNotBefore;

  private boolean refreshRequested;
  private boolean changed;

  /**
   * The state a claim needs, before the workflow method runs: a claim can arrive in a run's first
   * task (after a continue-as-new, too).
   */
  @WorkflowInit
  public PoolWorkflowImpl(PoolRequest request) {
    if (request != null) {
      hostId = request.hostId();
      template = request.template();
      vmMemoryMib = request.vmMemoryMib();
      ready.addAll(request.ready());
      request.recentClaims().forEach(claim -> recentClaims.put(claim.claimant(), claim));
    }
    metrics =
        Workflow.getMetricsScope()
            .tagged(Map.of("host", String.valueOf(hostId), "template", String.valueOf(template)));
  }

  @Override
  public void run(PoolRequest request) {
    try {
      hostId = Validation.hostId(request.hostId());
      template = Validation.templateId(request.template());
      policy = request.policy().validated();
    } catch (InvalidInputException | NullPointerException e) {
      throw FailureKind.INVALID_INPUT.failure("pool request: " + e.getMessage());
    }
    host = HostStubs.on(TaskQueues.forHost(hostId));
    long nextCheck = 0;
    while (true) {
      if (refreshRequested || Workflow.currentTimeMillis() >= nextCheck) {
        refreshRequested = false;
        check();
        nextCheck = Workflow.currentTimeMillis() + CHECK_EVERY.toMillis();
      }
      trimToTarget();
      fill();
      report();
      if (Workflow.getInfo().isContinueAsNewSuggested()
          && preparing == 0
          && destroying == 0
          && Workflow.isEveryHandlerFinished()) {
        Workflow.continueAsNew(
            new PoolRequest(
                hostId,
                template,
                policy,
                vmMemoryMib,
                List.copyOf(ready),
                List.copyOf(recentClaims.values())));
      }
      changed = false;
      if (target() == 0 && ready.isEmpty() && preparing == 0 && destroying == 0) {
        // A drained pool has nothing to check until a policy or a refresh arrives.
        Workflow.await(() -> changed || refreshRequested);
        nextCheck = 0;
        continue;
      }
      long untilCheck = Math.max(1, nextCheck - Workflow.currentTimeMillis());
      long untilBackoff = prepareNotBefore - Workflow.currentTimeMillis();
      long wait = untilBackoff > 0 ? Math.min(untilCheck, untilBackoff) : untilCheck;
      Workflow.await(Duration.ofMillis(wait), () -> changed || refreshRequested);
    }
  }

  @Override
  public void validateClaim(ClaimRequest request) {
    if (request == null
        || request.workflowId() == null
        || request.workflowId().isBlank()
        || request.runId() == null
        || request.runId().isBlank()) {
      throw new IllegalArgumentException("claim: the claimant's workflowId and runId are required");
    }
    if (request.imageId() != null) {
      Validation.imageId(request.imageId());
    }
  }

  @Override
  public PoolClaim claim(ClaimRequest request) {
    PoolClaim earlier = recentClaims.get(request.claimant());
    if (earlier != null) {
      return earlier;
    }
    String wanted =
        request.imageId() != null ? request.imageId() : image == null ? null : image.imageId();
    PoolClaim answer = null;
    for (Iterator<PooledVm> it = ready.iterator(); it.hasNext(); ) {
      PooledVm vm = it.next();
      if (vm.image().imageId().equals(wanted)) {
        it.remove();
        answer = new PoolClaim(request.workflowId(), request.runId(), vm, null);
        claims++;
        metrics.counter("kindling_pool_claims").inc(1);
        log.info(
            "Pool {} handed {} to {}",
            Workflow.getInfo().getWorkflowId(),
            vm.vmId(),
            request.claimant());
        break;
      }
    }
    if (answer == null) {
      // A miss is not remembered: a repeated claim may as well find a VM that became ready.
      misses++;
      metrics.counter("kindling_pool_misses").inc(1);
      changed = true;
      return PoolClaim.miss(request, missReason(wanted));
    }
    // One window from the first claim of a burst: later claims do not push the refill further.
    if (Workflow.getVersion(REFILL_AFTER_CLAIM_CHANGE, Workflow.DEFAULT_VERSION, 1) >= 1
        && Workflow.currentTimeMillis() >= prepareNotBefore) {
      prepareNotBefore = Workflow.currentTimeMillis() + REFILL_AFTER_CLAIM.toMillis();
    }
    recentClaims.put(request.claimant(), answer);
    if (recentClaims.size() > RECENT_CLAIMS) {
      recentClaims.remove(recentClaims.keySet().iterator().next());
    }
    changed = true;
    return answer;
  }

  private String missReason(String wanted) {
    String pool = "the pool of " + template + " on " + hostId;
    if (ready.isEmpty()) {
      return pool
          + " is empty"
          + (preparing > 0 ? " (" + preparing + " VM(s) being prepared)" : "")
          + (lastProblem == null ? "" : "; last problem: " + lastProblem);
    }
    return pool + " has no ready VM of image " + wanted;
  }

  @Override
  public void policy(PoolPolicy value, int vmMemory) {
    try {
      policy = value.validated();
      if (vmMemory > 0) {
        vmMemoryMib = vmMemory;
      }
      changed = true;
    } catch (InvalidInputException | NullPointerException e) {
      log.warn(
          "Pool {} ignores policy {}: {}",
          Workflow.getInfo().getWorkflowId(),
          value,
          e.getMessage());
    }
  }

  @Override
  public void refresh() {
    refreshRequested = true;
  }

  @Override
  public PoolState describe() {
    return new PoolState(
        hostId,
        template,
        policy,
        target(),
        image == null ? null : image.imageId(),
        List.copyOf(ready),
        preparing,
        claims,
        misses,
        replaced,
        lastProblem,
        heldVmIds(),
        List.copyOf(recentClaims.values()));
  }

  private List<String> heldVmIds() {
    Set<String> held = new java.util.TreeSet<>(inFlight);
    ready.forEach(vm -> held.add(vm.vmId()));
    return List.copyOf(held);
  }

  private int target() {
    return policy == null ? 0 : policy.targetFor(vmMemoryMib);
  }

  /** The host's current image, and the ready VMs that died, aged out or are of an older image. */
  private void check() {
    try {
      ImageRef current = host.imageMetadata().resolveImage(null, template);
      if (image != null && !image.imageId().equals(current.imageId())) {
        log.info(
            "Pool {}: image {} promoted; recycling",
            Workflow.getInfo().getWorkflowId(),
            current.imageId());
      }
      image = current;
    } catch (RuntimeException e) {
      // The last image stays: one failed lookup (a restarting host worker) recycles nothing.
      problem("resolving the current image failed", e);
    }
    long listedAt = Workflow.currentTimeMillis();
    Set<String> alive = Set.of();
    if (!ready.isEmpty()) {
      try {
        alive =
            host.cleanup().inventory().vms().stream()
                .filter(vm -> vm.vmmRunning() && vm.namespace())
                .map(HostInventory.HostVm::vmId)
                .collect(Collectors.toSet());
      } catch (RuntimeException e) {
        problem("cannot list the host's VMs", e);
        return;
      }
    }
    long now = Workflow.currentTimeMillis();
    for (Iterator<PooledVm> it = ready.iterator(); it.hasNext(); ) {
      PooledVm vm = it.next();
      String why = null;
      // A VM that became ready while the host was listing may be missing from the list.
      if (!alive.contains(vm.vmId()) && vm.readyAtMillis() < listedAt) {
        why = "its VMM or namespace is gone";
      } else if (image != null && !image.imageId().equals(vm.image().imageId())) {
        why = "its image is no longer current";
      } else if (policy.maxAgeSeconds() > 0
          && now - vm.readyAtMillis() > policy.maxAgeSeconds() * 1000) {
        why = "it is older than " + policy.maxAgeSeconds() + " s";
      }
      if (why != null) {
        it.remove();
        replaced++;
        metrics.counter("kindling_pool_replaced").inc(1);
        log.info("Pool {} replaces {}: {}", Workflow.getInfo().getWorkflowId(), vm.vmId(), why);
        destroy(vm.vm(), vm.networkRequestId());
      }
    }
  }

  /** The newest VMs beyond the target go (the policy was lowered). */
  private void trimToTarget() {
    while (ready.size() > target()) {
      PooledVm vm = ready.removeLast();
      destroy(vm.vm(), vm.networkRequestId());
    }
  }

  private void fill() {
    while (image != null
        && ready.size() + preparing < target()
        && Workflow.currentTimeMillis() >= prepareNotBefore) {
      preparing++;
      ImageRef of = image;
      Async.procedure(() -> prepare(of));
    }
  }

  private void prepare(ImageRef of) {
    long started = Workflow.currentTimeMillis();
    String vmId = BrowserVmWorkflowImpl.vmIdFrom(Workflow.randomUUID().toString());
    NetworkRequest network = new NetworkRequest(Workflow.randomUUID().toString(), vmId);
    VmRef vm = new VmRef(Workflow.randomUUID().toString(), vmId, VmNetwork.standard(vmId));
    BootMode mode = of.hasSnapshot() ? BootMode.RESTORE : BootMode.COLD;
    inFlight.add(vmId);
    try {
      StartedVm start =
          host.start()
              .startVm(network, new BootRequest(vm.requestId(), vmId, of, null, mode, 0, 0));
      vm = new VmRef(vm.requestId(), vmId, start.network());
      Duration deadline =
          mode == BootMode.RESTORE
              ? BrowserVmWorkflowImpl.RESTORE_READINESS_DEADLINE
              : BrowserVmWorkflowImpl.COLD_READINESS_DEADLINE;
      ReadinessReport report =
          host.readiness(deadline)
              .awaitReady(new ReadinessRequest(vm, deadline.toMillis(), null, true));
      long now = Workflow.currentTimeMillis();
      metrics
          .timer("kindling_pool_refill_latency")
          .record(com.uber.m3.util.Duration.ofMillis(now - started));
      if (image == null || !image.imageId().equals(of.imageId()) || ready.size() >= target()) {
        destroy(vm, network.requestId());
      } else {
        ready.add(new PooledVm(vm, network.requestId(), of, mode.name(), now, report.appOnExit()));
        lastProblem = null;
        log.info(
            "Pool {}: {} ready in {} ms", Workflow.getInfo().getWorkflowId(), vmId, now - started);
      }
    } catch (RuntimeException e) {
      problem("preparing " + vmId + " failed", e);
      prepareNotBefore =
          Math.max(prepareNotBefore, Workflow.currentTimeMillis() + BACKOFF.toMillis());
      destroy(vm, network.requestId());
    } finally {
      inFlight.remove(vmId);
      preparing--;
      changed = true;
    }
  }

  /** Destroys a VM the pool owns, in the background; a failure is left to the reconciler. */
  private void destroy(VmRef vm, String networkRequestId) {
    destroying++;
    inFlight.add(vm.vmId());
    Async.procedure(
        () -> {
          try {
            host.vmmTeardown().destroyVm(vm);
            host.networkTeardown().deleteNetwork(new NetworkRequest(networkRequestId, vm.vmId()));
          } catch (RuntimeException e) {
            problem("destroying " + vm.vmId() + " failed", e);
          } finally {
            inFlight.remove(vm.vmId());
            destroying--;
            changed = true;
          }
        });
  }

  private void problem(String what, RuntimeException e) {
    lastProblem = Failures.typed(what, e).getOriginalMessage();
    log.warn("Pool {}: {}", Workflow.getInfo().getWorkflowId(), lastProblem);
  }

  private void report() {
    metrics.gauge("kindling_pool_ready").update(ready.size());
    metrics.gauge("kindling_pool_preparing").update(preparing);
    metrics.gauge("kindling_pool_target").update(target());
    StringBuilder md =
        new StringBuilder("**pool** of `")
            .append(template)
            .append("` on host `")
            .append(hostId)
            .append("`: ")
            .append(ready.size())
            .append(" ready of ")
            .append(target())
            .append(", ")
            .append(preparing)
            .append(" preparing\n\n")
            .append(claims)
            .append(" claims, ")
            .append(misses)
            .append(" misses, ")
            .append(replaced)
            .append(" replaced\n");
    if (image != null) {
      md.append("\nimage `").append(image.imageId()).append("`\n");
    }
    for (PooledVm vm : ready) {
      md.append("\n- `").append(vm.vmId()).append("` ").append(vm.bootMode()).append('\n');
    }
    if (lastProblem != null) {
      md.append("\nlast problem: ").append(lastProblem).append('\n');
    }
    Workflow.setCurrentDetails(md.toString());
  }
}
