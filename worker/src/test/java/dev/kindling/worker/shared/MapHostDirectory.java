package dev.kindling.worker.shared;

import dev.kindling.workflows.host.ImageRef;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Hosts and the images each holds, the first image of a host being its current one. */
final class MapHostDirectory implements HostDirectory {
  private final Map<String, List<ImageRef>> images = new LinkedHashMap<>();

  MapHostDirectory with(String hostId, ImageRef... hostImages) {
    images.put(hostId, List.of(hostImages));
    return this;
  }

  @Override
  public List<String> hosts() {
    return List.copyOf(images.keySet());
  }

  @Override
  public Optional<ImageRef> image(String hostId, String imageId) {
    List<ImageRef> onHost = images.getOrDefault(hostId, List.of());
    if (imageId == null) {
      return onHost.stream().findFirst();
    }
    return onHost.stream().filter(i -> i.imageId().equals(imageId)).findFirst();
  }
}
