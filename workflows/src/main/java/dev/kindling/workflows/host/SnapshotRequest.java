package dev.kindling.workflows.host;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/** Pauses a ready VM and writes its memory snapshot beside {@code imageId}. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record SnapshotRequest(String requestId, String vmId, String imageId) {}
