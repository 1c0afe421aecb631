package dev.kindling.workflows.host;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/** @param imageId a content hash, or null for the host's current image */
@JsonIgnoreProperties(ignoreUnknown = true)
public record PlacementRequest(String sessionId, String imageId) {}
