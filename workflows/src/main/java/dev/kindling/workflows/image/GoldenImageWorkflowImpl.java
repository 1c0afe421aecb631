package dev.kindling.workflows.image;

import dev.kindling.workflows.FailureKind;
import dev.kindling.workflows.Failures;
import dev.kindling.workflows.HostStubs;
import dev.kindling.workflows.InvalidInputException;
import dev.kindling.workflows.KindlingSearchAttributes;
import dev.kindling.workflows.TaskQueues;
import dev.kindling.workflows.Validation;
import dev.kindling.workflows.host.BootMode;
import dev.kindling.workflows.host.BootRequest;
import dev.kindling.workflows.host.Diagnostics;
import dev.kindling.workflows.host.ImageRef;
import dev.kindling.workflows.host.NetworkRequest;
import dev.kindling.workflows.host.ReadinessReport;
import dev.kindling.workflows.host.ReadinessRequest;
import dev.kindling.workflows.host.SnapshotRequest;
import dev.kindling.workflows.host.StageTiming;
import dev.kindling.workflows.host.VmNetwork;
import dev.kindling.workflows.host.VmRef;
import dev.kindling.workflows.pool.PoolWorkflow;
import dev.kindling.workflows.vm.BrowserVmWorkflowImpl;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ApplicationFailure;
import io.temporal.workflow.Saga;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;

/**
 * Builds an image on one host, proves it with a canary VM that must pass full readiness, optionally
 * snapshots the ready canary, destroys it, and only then promotes the image. A canary that fails
 * ends the workflow with CanaryFailed and the image is never promoted.
 */
public class GoldenImageWorkflowImpl implements GoldenImageWorkflow {
  /** Retiring lists running workflows and signals each; a minute covers thousands of VMs. */
  private static final ActivityOptions RETIREMENT =
      ActivityOptions.newBuilder()
          .setTaskQueue(TaskQueues.SHARED)
          .setStartToCloseTimeout(Duration.ofMinutes(1))
          .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(3).build())
          .build();

  private static final Logger log = Workflow.getLogger(GoldenImageWorkflowImpl.class);

  private final RetirementActivities retirement =
      Workflow.newActivityStub(RetirementActivities.class, RETIREMENT);
  private final List<StageTiming> timings = new ArrayList<>();
  private String currentStage;
  private long stageStartedAt;

  @Override
  public GoldenImageResult run(ImageBuildRequest request) {
    String hostId;
    try {
      if (request == null) {
        throw new InvalidInputException("request", "is required");
      }
      hostId = Validation.hostId(request.hostId());
      if (request.template() != null) {
        Validation.templateId(request.template());
      }
    } catch (InvalidInputException e) {
      throw FailureKind.INVALID_INPUT.failure(e.getMessage());
    }
    HostStubs host = HostStubs.on(TaskQueues.forHost(hostId));
    Workflow.upsertTypedSearchAttributes(KindlingSearchAttributes.HOST.valueSet(hostId));

    stage("BUILDING");
    ImageRef image;
    try {
      image = host.imageBuild().buildImage(request);
    } catch (RuntimeException e) {
      throw failed(Failures.typed("build on host " + hostId, e));
    }
    Workflow.upsertTypedSearchAttributes(
        KindlingSearchAttributes.IMAGE.valueSet(image.imageId()),
        KindlingSearchAttributes.TEMPLATE.valueSet(
            image.template() == null ? "" : image.template()));

    image = canary(host, hostId, image, request.snapshot());

    stage("PROMOTING");
    try {
      host.imageMetadata().promote(image);
    } catch (RuntimeException e) {
      throw failed(Failures.typed("promote on host " + hostId, e));
    }
    refreshPool(hostId, image.template());
    int retired = 0;
    if (request.retireOlder()) {
      stage("RETIRING");
      try {
        retired = retirement.retireOlderThan(hostId, image.imageId(), image.template());
      } catch (RuntimeException e) {
        // The image is promoted either way; VMs on older images end with their leases.
        log.warn("Retiring VMs on older images than {} failed: {}", image.imageId(), e.toString());
      }
    }
    stage("PROMOTED");
    log.info(
        "Image {} promoted on {} (snapshot {}), {} VMs retired",
        image.imageId(),
        hostId,
        image.snapshotId(),
        retired);
    return new GoldenImageResult(image, true, List.copyOf(timings), retired);
  }

  /** Tells the host's warm pool of the template (if it keeps one) to recycle its VMs now. */
  private static void refreshPool(String hostId, String template) {
    if (template == null
        || Workflow.getVersion("refresh-pool", Workflow.DEFAULT_VERSION, 1)
            == Workflow.DEFAULT_VERSION) {
      return;
    }
    try {
      Workflow.newExternalWorkflowStub(
              PoolWorkflow.class, PoolWorkflow.workflowId(hostId, template))
          .refresh();
    } catch (RuntimeException e) {
      if (Failures.isCancellation(e)) {
        throw e;
      }
      // No pool of the template on this host: nothing to recycle.
    }
  }

  /** Boots, proves and (optionally) snapshots a canary VM; always destroys it. */
  private ImageRef canary(HostStubs host, String hostId, ImageRef image, boolean snapshot) {
    Saga saga = new Saga(new Saga.Options.Builder().setContinueWithError(true).build());
    String vmId = BrowserVmWorkflowImpl.vmIdFrom(Workflow.randomUUID().toString());
    ImageRef result = image;
    try {
      stage("CANARY");
      NetworkRequest networkRequest = new NetworkRequest(Workflow.randomUUID().toString(), vmId);
      saga.addCompensation(host.networkTeardown()::deleteNetwork, networkRequest);
      VmNetwork network = host.network().createNetwork(networkRequest);
      VmRef vm = new VmRef(Workflow.randomUUID().toString(), vmId, network);
      saga.addCompensation(host.vmmTeardown()::destroyVm, vm);
      host.boot()
          .bootVm(new BootRequest(vm.requestId(), vmId, image, network, BootMode.COLD, 0, 0));
      Duration deadline = BrowserVmWorkflowImpl.COLD_READINESS_DEADLINE;
      ReadinessReport report =
          host.readiness(deadline).awaitReady(new ReadinessRequest(vm, deadline.toMillis(), null));
      if (report.stages() != null) {
        report
            .stages()
            .forEach(s -> timings.add(new StageTiming("canary/" + s.stage(), s.millis())));
      }
      if (snapshot) {
        stage("SNAPSHOT");
        String snapshotId =
            host.snapshot()
                .snapshotVm(
                    new SnapshotRequest(Workflow.randomUUID().toString(), vmId, image.imageId()));
        result = image.withSnapshot(snapshotId);
      }
    } catch (RuntimeException e) {
      compensate(saga, vmId);
      if (Failures.isCancellation(e)) {
        throw e;
      }
      ApplicationFailure cause = Failures.typed("canary " + vmId + " on host " + hostId, e);
      if ("SNAPSHOT".equals(currentStage)) {
        throw failed(cause);
      }
      Optional<Diagnostics> diagnostics = Failures.diagnostics(cause);
      String message =
          "image "
              + image.imageId()
              + " failed its canary: "
              + cause.getType()
              + ": "
              + cause.getOriginalMessage();
      throw failed(
          diagnostics.isPresent()
              ? ApplicationFailure.newNonRetryableFailureWithCause(
                  message, FailureKind.CANARY_FAILED.type(), cause, diagnostics.get())
              : ApplicationFailure.newNonRetryableFailureWithCause(
                  message, FailureKind.CANARY_FAILED.type(), cause));
    }
    stage("CANARY_TEARDOWN");
    compensate(saga, vmId);
    return result;
  }

  private void compensate(Saga saga, String vmId) {
    try {
      Workflow.newDetachedCancellationScope(saga::compensate).run();
    } catch (Saga.CompensationException e) {
      log.warn("Canary {} teardown incomplete; cleanup will retry: {}", vmId, e.toString());
    }
  }

  private void stage(String next) {
    long now = Workflow.currentTimeMillis();
    if (currentStage != null) {
      timings.add(
          new StageTiming(currentStage.toLowerCase(java.util.Locale.ROOT), now - stageStartedAt));
    }
    currentStage = next;
    stageStartedAt = now;
    Workflow.upsertTypedSearchAttributes(KindlingSearchAttributes.PHASE.valueSet(next));
  }

  private ApplicationFailure failed(ApplicationFailure failure) {
    Workflow.upsertTypedSearchAttributes(KindlingSearchAttributes.PHASE.valueSet("FAILED"));
    log.warn(
        "Golden image workflow failed: {}: {}", failure.getType(), failure.getOriginalMessage());
    return failure;
  }
}
