package dev.kindling.activities.image;

import dev.kindling.workflows.host.ReadinessReport;
import dev.kindling.workflows.host.VmHandle;

/**
 * A verification VM that passed readiness and still runs, handed to {@link
 * ImageVerifier.WhileReady}.
 *
 * @param requestId the id shared by the VM's createNetwork, bootVm and their undo; a snapshot uses
 *     it too
 */
public record ReadyVm(
    String imageId, String vmId, String requestId, VmHandle handle, ReadinessReport readiness) {}
