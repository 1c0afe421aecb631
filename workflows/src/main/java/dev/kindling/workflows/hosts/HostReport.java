package dev.kindling.workflows.hosts;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.kindling.workflows.host.ImageRef;
import java.util.Map;

/**
 * What a host's worker says of its host every few seconds.
 *
 * @param runningVms VMs whose VMM runs on the host now (sessions', pools' and canaries')
 * @param images the host's current image of each template it has one of, with its snapshot
 * @param sentAtEpochMillis the host's clock when it sent this
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record HostReport(
    String hostId,
    HostCapacity capacity,
    int runningVms,
    Map<String, ImageRef> images,
    long sentAtEpochMillis) {

  public HostReport {
    images = images == null ? Map.of() : Map.copyOf(images);
  }
}
