package dev.kindling.activities.shared;

import dev.kindling.workflows.host.ImageRef;
import java.util.List;
import java.util.Optional;

/** Which hosts exist and which images each can boot. */
public interface HostDirectory {
  List<String> hosts();

  /**
   * The image {@code imageId} (or, when null, the host's current image of {@code template}, null
   * meaning the default template) on {@code hostId}, if it has it.
   */
  Optional<ImageRef> image(String hostId, String imageId, String template);
}
