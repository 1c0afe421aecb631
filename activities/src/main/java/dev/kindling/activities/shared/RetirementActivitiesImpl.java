package dev.kindling.activities.shared;

import dev.kindling.activities.temporal.HostFailures;
import dev.kindling.workflows.Validation;
import dev.kindling.workflows.client.KindlingClient;
import dev.kindling.workflows.client.VmSummary;
import dev.kindling.workflows.image.RetirementActivities;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowNotFoundException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Releases running browser VMs on a host whose image is no longer current. */
public final class RetirementActivitiesImpl implements RetirementActivities {
  private static final Logger log = LoggerFactory.getLogger(RetirementActivitiesImpl.class);

  private final KindlingClient kindling;

  public RetirementActivitiesImpl(WorkflowClient client) {
    this.kindling = new KindlingClient(client);
  }

  @Override
  public int retireOlderThan(String hostId, String currentImageId, String template) {
    HostFailures.typed(
        null,
        () -> {
          Validation.hostId(hostId);
          Validation.imageId(currentImageId);
          if (template != null) {
            Validation.templateId(template);
          }
        });
    int retired = 0;
    for (VmSummary vm : kindling.list()) {
      // A VM not yet placed has no host or image: it will boot whatever placement resolves now.
      if (hostId.equals(vm.hostId())
          && vm.imageId() != null
          && !vm.imageId().equals(currentImageId)
          && sameTemplate(template, vm.template())) {
        try {
          kindling.release(vm.sessionId());
          log.info(
              "Retiring session {} on {}: image {} is not current",
              vm.sessionId(),
              hostId,
              vm.imageId());
          retired++;
        } catch (WorkflowNotFoundException endedMeanwhile) {
          // Already gone.
        }
      }
    }
    return retired;
  }

  /** Images from before templates carry none: null or "" (the search attribute's empty value). */
  private static boolean sameTemplate(String a, String b) {
    return java.util.Objects.equals(
        a == null || a.isEmpty() ? null : a, b == null || b.isEmpty() ? null : b);
  }
}
