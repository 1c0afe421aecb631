package dev.kindling.activities.cleanup;

import dev.kindling.activities.network.Deployment;
import dev.kindling.activities.network.NetworkActivitiesImpl;
import dev.kindling.activities.network.OwnershipRecord;
import dev.kindling.activities.network.VmNetworks;
import dev.kindling.activities.vmm.BootRecord;
import dev.kindling.activities.vmm.VmProcesses;
import dev.kindling.activities.vmm.VmmActivitiesImpl;
import dev.kindling.host.FileTrees;
import dev.kindling.host.HostPaths;
import dev.kindling.host.netns.NetworkNamespaces;
import dev.kindling.workflows.FailureKind;
import dev.kindling.workflows.Validation;
import dev.kindling.workflows.cleanup.CleanupActivities;
import dev.kindling.workflows.cleanup.HostInventory;
import dev.kindling.workflows.host.GuestNetwork;
import dev.kindling.workflows.host.NetworkRequest;
import dev.kindling.workflows.host.VmNetwork;
import dev.kindling.workflows.host.VmRef;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host half of the reconciler: lists every VM this worker's run directory knows (with whether
 * its namespace and VMM still exist) and destroys the ones no workflow owns.
 */
public final class CleanupActivitiesImpl implements CleanupActivities {
  private static final Logger log = LoggerFactory.getLogger(CleanupActivitiesImpl.class);

  /** Longer than any local command keeps a VM (an image verify takes about a minute). */
  public static final java.time.Duration LOCAL_COMMAND_GRACE = java.time.Duration.ofMinutes(15);

  private final String hostId;
  private final HostPaths paths;
  private final VmProcesses processes;
  private final VmmActivitiesImpl vmms;
  private final NetworkActivitiesImpl network;

  public CleanupActivitiesImpl(
      String hostId, HostPaths paths, VmmActivitiesImpl vmms, NetworkActivitiesImpl network) {
    this.hostId = Validation.hostId(hostId);
    this.paths = paths;
    this.processes = new VmProcesses(paths);
    this.vmms = vmms;
    this.network = network;
  }

  @Override
  public HostInventory inventory() {
    // A VM's directory exists before its namespace (the ownership record is written first) and goes
    // last, so the directories under this worker's run dir name every VM it may have left.
    // Namespaces without a directory here belong to another run dir (another worker or a test) and
    // are not ours.
    long now = System.currentTimeMillis();
    Deployment ours = network.deployment();
    List<HostInventory.HostVm> vms = new ArrayList<>();
    for (String vmId : new TreeSet<>(directoryVmIds())) {
      Optional<OwnershipRecord> owner = OwnershipRecord.read(paths.vmDir(vmId));
      if (owner.filter(record -> madeByALocalCommand(record, now)).isPresent()) {
        continue;
      }
      vms.add(
          new HostInventory.HostVm(
              vmId,
              owner.flatMap(CleanupActivitiesImpl::sessionOf).orElse(null),
              NetworkNamespaces.exists(GuestNetwork.namespaceFor(vmId)),
              processes.alive(vmId),
              Files.isDirectory(paths.vmDir(vmId)),
              owner.map(OwnershipRecord::workflowId).orElse(null),
              // Reported as another deployment's only while that one may still want it.
              owner
                  .filter(record -> record.ownedByAnother(ours))
                  .map(OwnershipRecord::deployment)
                  .orElse(null)));
    }
    return new HostInventory(hostId, vms, ours == null ? null : ours.id());
  }

  @Override
  public void destroyOrphan(String vmId) {
    Validation.vmId(vmId);
    Path vmDir = paths.vmDir(vmId);
    Optional<OwnershipRecord> owner = OwnershipRecord.read(vmDir);
    if (owner.isPresent() && owner.get().ownedByAnother(network.deployment())) {
      throw FailureKind.OWNERSHIP_CONFLICT.failure(
          vmId
              + " belongs to the Temporal deployment "
              + owner.get().deployment()
              + ", not "
              + network.deployment().id()
              + "; its own reconciler decides");
    }
    String bootRequest = BootRecord.read(vmDir).map(BootRecord::requestId).orElse(null);
    String networkRequest = owner.map(OwnershipRecord::requestId).orElse(null);
    log.info(
        "destroying orphan {} (boot request {}, network request {})",
        vmId,
        bootRequest,
        networkRequest);
    vmms.destroyVm(new VmRef(bootRequest, vmId, VmNetwork.standard(vmId)));
    if (networkRequest != null) {
      network.deleteNetwork(new NetworkRequest(networkRequest, vmId));
    } else {
      try {
        VmNetworks.delete(vmId);
      } catch (UncheckedIOException e) {
        throw FailureKind.COMMAND_FAILED.failure(
            "deleting the namespace of " + vmId + " failed: " + e.getMessage());
      }
    }
    deleteQuietly(vmDir);
  }

  /**
   * True for a VM a local command (such as {@code kindling image verify}) created outside Temporal
   * within {@link #LOCAL_COMMAND_GRACE}: no workflow can vouch for it, but it is not an orphan yet.
   */
  static boolean madeByALocalCommand(OwnershipRecord owner, long nowMillis) {
    return owner.workflowId() == null
        && nowMillis - owner.createdAtEpochMillis() < LOCAL_COMMAND_GRACE.toMillis();
  }

  /** The session that owns a VM, from the workflow id its network was created for. */
  static Optional<String> sessionOf(OwnershipRecord owner) {
    return Optional.ofNullable(owner.workflowId())
        .filter(id -> id.startsWith(dev.kindling.workflows.vm.BrowserVmWorkflow.WORKFLOW_ID_PREFIX))
        .map(
            id ->
                id.substring(
                    dev.kindling.workflows.vm.BrowserVmWorkflow.WORKFLOW_ID_PREFIX.length()));
  }

  private List<String> directoryVmIds() {
    if (!Files.isDirectory(paths.vmsDir())) {
      return List.of();
    }
    try (Stream<Path> dirs = Files.list(paths.vmsDir())) {
      return dirs.map(p -> p.getFileName().toString())
          .filter(id -> id.matches("vm[0-9a-f]{10}"))
          .toList();
    } catch (IOException e) {
      throw FailureKind.COMMAND_FAILED.failure(
          "cannot list " + paths.vmsDir() + ": " + e.getMessage());
    }
  }

  private static void deleteQuietly(Path dir) {
    try {
      FileTrees.deleteRecursively(dir);
    } catch (RuntimeException e) {
      log.warn("could not remove {}: {}", dir, e.getMessage());
    }
  }
}
