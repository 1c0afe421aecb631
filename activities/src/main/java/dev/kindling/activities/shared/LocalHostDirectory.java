package dev.kindling.activities.shared;

import dev.kindling.host.images.ImageStore;
import dev.kindling.host.images.SnapshotMismatchException;
import dev.kindling.host.images.UnknownImageException;
import dev.kindling.workflows.host.ImageRef;
import java.util.List;
import java.util.Optional;

/**
 * Hosts that share one image store: this machine, or hosts whose image cache is the same shared
 * storage. Each host still boots on its own queue.
 */
public final class LocalHostDirectory implements HostDirectory {
  private final List<String> hosts;
  private final ImageStore store;
  private final String defaultTemplate;

  public LocalHostDirectory(List<String> hosts, ImageStore store, String defaultTemplate) {
    this.hosts = List.copyOf(hosts);
    this.store = store;
    this.defaultTemplate = defaultTemplate;
  }

  @Override
  public List<String> hosts() {
    return hosts;
  }

  @Override
  public Optional<ImageRef> image(String hostId, String imageId, String template) {
    if (!hosts.contains(hostId)) {
      return Optional.empty();
    }
    try {
      return Optional.of(store.resolve(imageId, template == null ? defaultTemplate : template));
    } catch (UnknownImageException | SnapshotMismatchException e) {
      return Optional.empty();
    }
  }
}
