package dev.kindling.activities.shared;

import dev.kindling.workflows.host.ImageRef;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Hosts and the images each holds. A host's first image of a template is that template's current
 * one; an image is found by id whatever its template, as {@link LocalHostDirectory} does.
 */
public final class MapHostDirectory implements HostDirectory {
  /** The template a request without one gets, like the hosts' {@code template.default}. */
  static final String DEFAULT_TEMPLATE = "terminal";

  private final Map<String, List<ImageRef>> images = new LinkedHashMap<>();

  public MapHostDirectory with(String hostId, ImageRef... hostImages) {
    images.put(hostId, List.of(hostImages));
    return this;
  }

  @Override
  public List<String> hosts() {
    return List.copyOf(images.keySet());
  }

  @Override
  public Optional<ImageRef> image(String hostId, String imageId, String template) {
    List<ImageRef> onHost = images.getOrDefault(hostId, List.of());
    if (imageId == null) {
      String wanted = template == null ? DEFAULT_TEMPLATE : template;
      return onHost.stream().filter(i -> wanted.equals(i.template())).findFirst();
    }
    return onHost.stream().filter(i -> i.imageId().equals(imageId)).findFirst();
  }
}
