package dev.kindling.activities.vmm;

/** The accelerator VMs on this host use, and why (logged once, shown in diagnostics). */
public record AcceleratorChoice(Accelerator accelerator, String reason) {}
