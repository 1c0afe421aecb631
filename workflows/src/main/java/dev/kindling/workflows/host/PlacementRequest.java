package dev.kindling.workflows.host;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;

/**
 * @param imageId a content hash, or null for the current image of {@code template}
 * @param template a template id, or null for the hosts' default template
 * @param avoid hosts this session already tried whose worker did not pick up its first step
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record PlacementRequest(
    String sessionId, String imageId, String template, List<String> avoid) {
  public PlacementRequest {
    avoid = avoid == null ? List.of() : List.copyOf(avoid);
  }

  public PlacementRequest(String sessionId, String imageId, String template) {
    this(sessionId, imageId, template, List.of());
  }
}
