package dev.kindling.workflows.hosts;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * What a host can run.
 *
 * @param vcpus the host's CPUs
 * @param memoryMib the host's memory
 * @param vmSlots VMs it runs at most (its {@code host.vmSlots} setting)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record HostCapacity(int vcpus, long memoryMib, int vmSlots) {}
