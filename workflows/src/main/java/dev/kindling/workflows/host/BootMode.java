package dev.kindling.workflows.host;

/**
 * How a VM starts. AUTO takes a ready VM from its host's warm pool when there is one, else restores
 * from the image's memory snapshot when it has one, else boots cold. POOL is what describe reports
 * for a VM taken from a pool; a request cannot ask for it.
 */
public enum BootMode {
  AUTO,
  COLD,
  RESTORE,
  POOL
}
