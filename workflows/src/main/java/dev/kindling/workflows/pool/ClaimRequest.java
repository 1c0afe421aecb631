package dev.kindling.workflows.pool;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * @param workflowId the claiming session's workflow
 * @param runId the claiming run: a claim repeated by the same run (its local activity retried) gets
 *     the same answer; a later session with the same id is another claimant
 * @param imageId the image the session needs, or null for the template's current one
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ClaimRequest(String workflowId, String runId, String imageId) {

  /** Who claims: one run of one workflow. */
  public String claimant() {
    return workflowId + "/" + runId;
  }
}
