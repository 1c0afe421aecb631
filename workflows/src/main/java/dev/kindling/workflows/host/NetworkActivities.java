package dev.kindling.workflows.host;

import io.temporal.activity.ActivityInterface;

/** Per-VM network namespaces holding {@code tap0}. Runs on the VM's host queue. */
@ActivityInterface
public interface NetworkActivities {
  /**
   * Creates the VM's namespace and TAP. Idempotent for the same request id; fails with
   * OwnershipConflict when the namespace belongs to another request.
   */
  VmNetwork createNetwork(NetworkRequest request);

  /** Deletes the namespace and everything in it; succeeds when it is already gone. */
  void deleteNetwork(NetworkRequest request);
}
