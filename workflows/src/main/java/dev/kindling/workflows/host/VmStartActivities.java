package dev.kindling.workflows.host;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/**
 * A VM's network and its boot as one host step: one activity dispatch and one workflow task fewer
 * on the way to READY than {@link NetworkActivities#createNetwork} followed by {@link
 * VmmActivities#bootVm}. Both halves keep their own request ids, idempotence and compensations.
 */
@ActivityInterface
public interface VmStartActivities {
  /**
   * Creates the network for {@code network} (or finds the one this request made) and boots {@code
   * boot} in it; {@code boot}'s own network field is ignored.
   */
  @ActivityMethod(name = "StartVm")
  StartedVm startVm(NetworkRequest network, BootRequest boot);
}
