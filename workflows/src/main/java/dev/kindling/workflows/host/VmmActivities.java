package dev.kindling.workflows.host;

import io.temporal.activity.ActivityInterface;

/** Starts and stops VMMs (QEMU or Firecracker) on the VM's host. */
@ActivityInterface
public interface VmmActivities {
  /**
   * Boots (COLD) or restores (RESTORE) the VM inside its namespace and returns once the VMM runs
   * the guest. Idempotent for the same request id: a retry finds the VMM it already started.
   */
  VmHandle bootVm(BootRequest request);

  /** Stops the VMM, waits for it to exit, removes the VM's files. Succeeds when already gone. */
  void destroyVm(VmRef vm);

  /** Snapshots a ready VM's memory and disk for fast restores; returns the snapshot id. */
  String snapshotVm(SnapshotRequest request);
}
