package dev.kindling.workflows.host;

/** How a VM starts. AUTO restores from the image's memory snapshot when it has one. */
public enum BootMode {
  AUTO,
  COLD,
  RESTORE
}
