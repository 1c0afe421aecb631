package dev.kindling.workflows.pool;

import io.temporal.activity.ActivityInterface;

/**
 * Claims from a host's pool on behalf of a session workflow (a local activity: workflows cannot
 * send each other updates).
 */
@ActivityInterface
public interface PoolClaimActivities {
  /** The pool's answer; a miss naming why when the host keeps no pool of the template. */
  PoolClaim claim(String hostId, String template, ClaimRequest request);
}
