package dev.kindling.workflows.host;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * What {@link VmStartActivities#startVm} made: the network, the running VM, and how long the
 * network took.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record StartedVm(VmNetwork network, VmHandle handle, long networkMillis) {}
