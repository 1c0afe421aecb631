package dev.kindling.workflows.host;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * A running VM as its host sees it.
 *
 * @param vmm "qemu" or "firecracker"
 * @param accelerator "kvm" or "tcg"
 * @param vmmStartMillis from spawning the VMM to the VMM reporting the guest running
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record VmHandle(
    String vmId,
    String vmm,
    String accelerator,
    long pid,
    String workDir,
    String serialLog,
    BootMode mode,
    long vmmStartedAtEpochMillis,
    long vmmStartMillis) {}
