package dev.kindling.activities.network;

import dev.kindling.activities.temporal.HostFailures;
import dev.kindling.host.HostPaths;
import dev.kindling.host.images.ImageFiles;
import dev.kindling.host.netns.NetworkNamespaces;
import dev.kindling.workflows.FailureKind;
import dev.kindling.workflows.Validation;
import dev.kindling.workflows.egress.EgressPolicy;
import dev.kindling.workflows.host.GuestNetwork;
import dev.kindling.workflows.host.ImageRef;
import dev.kindling.workflows.host.NetworkActivities;
import dev.kindling.workflows.host.NetworkRequest;
import dev.kindling.workflows.host.VmNetwork;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * One network namespace per VM holding {@code tap0}. Ownership is recorded in {@code
 * <vmDir>/owner.json} before anything is created, so a retry of the same request finds its own
 * namespace and a different request fails with {@link FailureKind#OWNERSHIP_CONFLICT}.
 */
public final class NetworkActivitiesImpl implements NetworkActivities {
  /** The files of a VM's directory that belong to its network, which only deleteNetwork removes. */
  public static final Set<String> FILES = Set.of(OwnershipRecord.FILE, VmEgress.FILE);

  private final HostPaths paths;
  private final Deployment deployment;
  private final VmEgress egress;

  /**
   * For VMs made outside Temporal (local commands, tests): their records name no deployment, and no
   * VM gets egress.
   */
  public NetworkActivitiesImpl(HostPaths paths) {
    this(paths, null, null);
  }

  /**
   * @param deployment the Temporal deployment this worker serves, written into each ownership
   *     record
   * @param egress serves the egress of the sessions' VMs; null serves none
   */
  public NetworkActivitiesImpl(HostPaths paths, Deployment deployment, VmEgress egress) {
    this.paths = paths;
    this.deployment = deployment;
    this.egress = egress;
  }

  public Deployment deployment() {
    return deployment;
  }

  @Override
  public VmNetwork createNetwork(NetworkRequest request) {
    return HostFailures.typed(
        "creating the network of " + request.vmId(),
        () -> {
          String vmId = Validation.vmId(request.vmId());
          String requestId = RequestIds.check(request.requestId());
          Path vmDir = paths.vmDir(vmId);
          Optional<OwnershipRecord> existing = OwnershipRecord.read(vmDir);
          if (existing.isEmpty() && NetworkNamespaces.exists(GuestNetwork.namespaceFor(vmId))) {
            throw FailureKind.OWNERSHIP_CONFLICT.failure(
                "namespace "
                    + GuestNetwork.namespaceFor(vmId)
                    + " exists but has no ownership record in "
                    + vmDir
                    + "; it was not created by request "
                    + requestId);
          }
          OwnershipRecord owner =
              existing.orElseGet(() -> OwnershipRecord.claim(vmDir, requestId, deployment));
          requireOwner(owner, requestId, vmId);
          return VmNetworks.create(vmId);
        });
  }

  /**
   * Serves the egress of the VM whose network {@code request} made, when it serves a session: the
   * session's allow-list, or else the default of {@code image}'s template. Idempotent.
   */
  public void startEgress(NetworkRequest request, ImageRef image) {
    if (egress == null || request.sessionId() == null) {
      return;
    }
    HostFailures.typed(
        "serving the egress of " + request.vmId(),
        () -> {
          String vmId = Validation.vmId(request.vmId());
          String sessionId = Validation.sessionId(request.sessionId());
          List<String> entries =
              request.egress() != null
                  ? request.egress()
                  : ImageFiles.open(
                          paths, Validation.imageId(image == null ? null : image.imageId()))
                      .egress();
          egress.open(vmId, sessionId, EgressPolicy.parse(entries));
          return null;
        });
  }

  @Override
  public void deleteNetwork(NetworkRequest request) {
    HostFailures.typed(
        "deleting the network of " + request.vmId(),
        () -> {
          String vmId = Validation.vmId(request.vmId());
          String requestId = RequestIds.check(request.requestId());
          Path vmDir = paths.vmDir(vmId);
          Optional<OwnershipRecord> owner = OwnershipRecord.read(vmDir);
          if (owner.isPresent()) {
            requireOwner(owner.get(), requestId, vmId);
          }
          if (egress != null) {
            // Its listener would keep the namespace alive after its name is gone.
            egress.end(vmId);
          } else {
            Files.deleteIfExists(vmDir.resolve(VmEgress.FILE));
          }
          VmNetworks.delete(vmId);
          OwnershipRecord.release(vmDir);
          deleteIfEmpty(vmDir);
        });
  }

  private static void requireOwner(OwnershipRecord owner, String requestId, String vmId) {
    if (!owner.requestId().equals(requestId)) {
      throw FailureKind.OWNERSHIP_CONFLICT.failure(
          "the network of "
              + vmId
              + " belongs to request "
              + owner.requestId()
              + " (created at epoch ms "
              + owner.createdAtEpochMillis()
              + "), not "
              + requestId);
    }
  }

  /** The VM's directory goes with its last file; the VMM side removes its own files. */
  static void deleteIfEmpty(Path vmDir) {
    try {
      Files.deleteIfExists(vmDir);
    } catch (DirectoryNotEmptyException e) {
      // The VMM's files are still there; destroyVm removes the directory.
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
