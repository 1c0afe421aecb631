package dev.kindling.workflows;

import dev.kindling.workflows.cleanup.CleanupWorkflowImpl;
import dev.kindling.workflows.hosts.HostWorkflowImpl;
import dev.kindling.workflows.image.GoldenImageWorkflowImpl;
import dev.kindling.workflows.pool.PoolWorkflowImpl;
import dev.kindling.workflows.vm.BrowserVmWorkflowImpl;

/** Every workflow implementation; each runs on the shared queue ({@link TaskQueues#SHARED}). */
public final class SharedWorkflows {
  private SharedWorkflows() {}

  /** For {@code Worker.registerWorkflowImplementationTypes}. */
  public static Class<?>[] implementations() {
    return new Class<?>[] {
      BrowserVmWorkflowImpl.class,
      GoldenImageWorkflowImpl.class,
      CleanupWorkflowImpl.class,
      PoolWorkflowImpl.class,
      HostWorkflowImpl.class
    };
  }
}
