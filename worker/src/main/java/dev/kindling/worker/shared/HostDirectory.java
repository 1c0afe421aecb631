package dev.kindling.worker.shared;

import dev.kindling.workflows.host.ImageRef;
import java.util.List;
import java.util.Optional;

/** Which hosts exist and which images each can boot. */
public interface HostDirectory {
  List<String> hosts();

  /** The image {@code imageId} (or the host's current image when null) on {@code hostId}, if it has it. */
  Optional<ImageRef> image(String hostId, String imageId);
}
