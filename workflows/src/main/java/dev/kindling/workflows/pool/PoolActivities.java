package dev.kindling.workflows.pool;

import dev.kindling.workflows.host.ReadinessReport;
import io.temporal.activity.ActivityInterface;

/** The host's side of handing a pool VM to a session. */
@ActivityInterface
public interface PoolActivities {
  /**
   * Makes a claimed pool VM the session's: its ownership record names the session's workflow, it
   * gets fresh secrets (the pool's password is never used again), the session's egress, and its
   * launch parameters; then readiness runs again with the new password.
   */
  ReadinessReport handOver(HandOverRequest request);
}
