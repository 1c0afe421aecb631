package dev.kindling.activities.vmm;

import dev.kindling.host.images.SnapshotFiles;
import java.nio.file.Path;
import java.time.Duration;

/**
 * One virtual machine monitor (QEMU or Firecracker). Implementations start the VMM inside the VM's
 * network namespace as a process that outlives the worker, so a restarted worker finds it again
 * through {@link VmProcesses}.
 */
public interface Vmm {
  /** "qemu" or "firecracker". */
  String name();

  /** Cold-boots {@code spec} and returns once the VMM reports the guest running. */
  RunningVm boot(VmSpec spec);

  /** Starts {@code spec} from a memory snapshot and returns once the guest runs again. */
  RunningVm restore(VmSpec spec, SnapshotFiles snapshot);

  /**
   * Pauses {@code vm} and writes its memory and disk state into {@code dir}; the VM stays paused.
   */
  SnapshotFiles snapshot(RunningVm vm, Path dir);

  /** Asks the VMM to exit, waits up to {@code grace}, then kills it. Returns once it has exited. */
  void stop(RunningVm vm, Duration grace);

  boolean alive(RunningVm vm);
}
