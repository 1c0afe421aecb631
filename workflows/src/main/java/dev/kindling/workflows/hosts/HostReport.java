package dev.kindling.workflows.hosts;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.kindling.workflows.host.ImageRef;
import java.util.List;
import java.util.Map;

/**
 * What a host's worker says of its host every few seconds.
 *
 * @param runningVms VMs whose VMM runs on the host now (sessions', pools' and canaries')
 * @param images the host's current image of each template it has one of, with its snapshot
 * @param stored every image published on the host, for sessions that name an image id
 * @param poolReady ready pool VMs per template
 * @param proxyUrl where browsers reach this host's proxy (its {@code proxy.publicUrl}); null when
 *     it publishes none
 * @param lostAfterSeconds how long this host's record may go without a report before its READY
 *     sessions end {@code HostLost}
 * @param sentAtEpochMillis the host's clock when it sent this
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record HostReport(
    String hostId,
    HostCapacity capacity,
    int runningVms,
    Map<String, ImageRef> images,
    List<ImageRef> stored,
    Map<String, Integer> poolReady,
    String proxyUrl,
    int lostAfterSeconds,
    long sentAtEpochMillis) {

  /** When a report names no time of its own. */
  public static final int DEFAULT_LOST_AFTER_SECONDS = 60;

  public HostReport {
    images = images == null ? Map.of() : Map.copyOf(images);
    stored = stored == null ? List.of() : List.copyOf(stored);
    poolReady = poolReady == null ? Map.of() : Map.copyOf(poolReady);
    if (lostAfterSeconds <= 0) {
      lostAfterSeconds = DEFAULT_LOST_AFTER_SECONDS;
    }
  }

  /** The image {@code imageId} if the host has it published, whether current or not. */
  public java.util.Optional<ImageRef> image(String imageId) {
    return images.values().stream()
        .filter(image -> image.imageId().equals(imageId))
        .findFirst()
        .or(() -> stored.stream().filter(image -> image.imageId().equals(imageId)).findFirst());
  }

  public int freeSlots() {
    return Math.max(0, capacity == null ? 0 : capacity.vmSlots() - runningVms);
  }
}
