package dev.kindling.workflows.vm;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.kindling.workflows.host.BootMode;
import dev.kindling.workflows.host.Launch;
import java.util.List;

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
 * @param egress what the VM may reach through its host's egress proxy: entries like {@code
 *     github.com}, {@code *.github.com} or {@code example.com:8443} (port 443 when none is given);
 *     null means the template's default, an empty list means nothing (docs/EGRESS.md)
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
    Launch launch,
    List<String> egress) {

  public static VmRequest forSession(String sessionId) {
    return new VmRequest(sessionId, null, BootMode.AUTO, 0, 0, 0, 0, null, null, null);
  }

  public VmRequest withTemplate(String value) {
    return new VmRequest(
        sessionId,
        imageId,
        bootMode,
        ttlSeconds,
        idleSeconds,
        memoryMib,
        vcpus,
        value,
        launch,
        egress);
  }

  public VmRequest withLaunch(Launch value) {
    return new VmRequest(
        sessionId,
        imageId,
        bootMode,
        ttlSeconds,
        idleSeconds,
        memoryMib,
        vcpus,
        template,
        value,
        egress);
  }

  public VmRequest withEgress(List<String> value) {
    return new VmRequest(
        sessionId,
        imageId,
        bootMode,
        ttlSeconds,
        idleSeconds,
        memoryMib,
        vcpus,
        template,
        launch,
        value);
  }
}
