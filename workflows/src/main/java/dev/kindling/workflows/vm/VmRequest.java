package dev.kindling.workflows.vm;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.kindling.workflows.host.BootMode;

/**
 * What a backend asks for. Only {@code sessionId} is required; zero or null fields take defaults.
 *
 * @param imageId a content hash, or null for the current image
 * @param bootMode null or AUTO restores when the image has a snapshot, else cold-boots
 * @param ttlSeconds lease length; 0 means the default (1 hour)
 * @param idleSeconds released after this long without {@code extend}; 0 means no idle timer
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record VmRequest(
    String sessionId, String imageId, BootMode bootMode, long ttlSeconds, long idleSeconds, int memoryMib, int vcpus) {

  public static VmRequest forSession(String sessionId) {
    return new VmRequest(sessionId, null, BootMode.AUTO, 0, 0, 0, 0);
  }
}
