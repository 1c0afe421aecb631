package dev.kindling.workflows.host;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * @param imageId a content hash, or null for the current image of {@code template}
 * @param template a template id, or null for the hosts' default template
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record PlacementRequest(String sessionId, String imageId, String template) {}
