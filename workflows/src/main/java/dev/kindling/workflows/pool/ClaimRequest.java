package dev.kindling.workflows.pool;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * @param claimant the workflow id of the session that claims: a claim repeated by the same claimant
 *     gets the same VM
 * @param imageId the image the session needs, or null for the template's current one
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ClaimRequest(String claimant, String imageId) {}
