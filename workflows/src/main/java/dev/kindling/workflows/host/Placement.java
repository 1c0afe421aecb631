package dev.kindling.workflows.host;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * Where a VM runs: its host, the task queue only that host's worker polls, and where browsers reach
 * that host's proxy ({@code proxyUrl}, null when the host publishes none).
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Placement(String hostId, String taskQueue, ImageRef image, String proxyUrl) {
  public Placement(String hostId, String taskQueue, ImageRef image) {
    this(hostId, taskQueue, image, null);
  }
}
