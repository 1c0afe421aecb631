package dev.kindling.workflows.vm;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.kindling.workflows.host.BootMode;
import dev.kindling.workflows.host.Launch;

/**
 * What a backend asks for. Only {@code sessionId} is required; zero or null fields take defaults.
 *
 * @param imageId a content hash, or null for the current image of {@code template}
 * @param bootMode null or AUTO restores when the image has a snapshot, else cold-boots
 * @param ttlSeconds lease length; 0 means the default (1 hour)
 * @param idleSeconds released after this long without input through the proxy or {@code extend}; 0
 *     means no idle timer
 * @param memoryMib guest memory for a cold boot; 0 means the template's default (a restore keeps
 *     its snapshot's)
 * @param vcpus guest vCPUs for a cold boot; 0 means the template's default (a restore keeps its
 *     snapshot's)
 * @param template the template whose app the session sees; null means the host's default template
 * @param launch what the app receives when the VM is handed to the session; null means nothing
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record VmRequest(
    String sessionId,
    String imageId,
    BootMode bootMode,
    long ttlSeconds,
    long idleSeconds,
    int memoryMib,
    int vcpus,
    String template,
    Launch launch) {

  public static VmRequest forSession(String sessionId) {
    return new VmRequest(sessionId, null, BootMode.AUTO, 0, 0, 0, 0, null, null);
  }

  public VmRequest withTemplate(String value) {
    return new VmRequest(
        sessionId, imageId, bootMode, ttlSeconds, idleSeconds, memoryMib, vcpus, value, launch);
  }

  public VmRequest withLaunch(Launch value) {
    return new VmRequest(
        sessionId, imageId, bootMode, ttlSeconds, idleSeconds, memoryMib, vcpus, template, value);
  }
}
