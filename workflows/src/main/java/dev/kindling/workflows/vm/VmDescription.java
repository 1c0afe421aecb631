package dev.kindling.workflows.vm;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.kindling.workflows.egress.EgressReport;
import dev.kindling.workflows.host.Launch;
import dev.kindling.workflows.host.StageTiming;
import java.util.List;

/**
 * The answer to {@code describe()}.
 *
 * @param template the template whose app the VM shows (known once placed)
 * @param launch what the app was handed (null when nothing)
 * @param timings per-phase (and readiness-stage) durations in order of completion
 * @param leaseExpiresAtEpochMillis 0 before READY
 * @param failureType a FailureKind type when the VM failed, else null
 * @param viewers who has the desktop open through the proxy (none before READY)
 * @param egress what the VM may reach and what it did, as its host last reported (null until the
 *     host reports, and for a VM without egress)
 * @param pageUrl the session's page on its host's proxy (known once placed; null when the host
 *     publishes no proxy URL)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record VmDescription(
    String sessionId,
    Phase phase,
    String hostId,
    String imageId,
    String template,
    Launch launch,
    String vmId,
    String bootMode,
    Endpoint endpoint,
    List<StageTiming> timings,
    long leaseExpiresAtEpochMillis,
    String failureType,
    String failureMessage,
    Viewers viewers,
    EgressReport egress,
    String pageUrl) {

  /** Where a proxy serves the page of session {@code sessionId}, under the proxy's public URL. */
  public static String pageUrl(String proxyUrl, String sessionId) {
    return proxyUrl == null ? null : proxyUrl + PAGE_PREFIX + "/" + sessionId + "/";
  }

  /** The path under which proxies serve session pages and WebSockets. */
  public static final String PAGE_PREFIX = "/sessions";

  /** A VM whose workflow failed before it could describe it (its input could not be read). */
  public static VmDescription failedBeforeStart(
      String sessionId, String failureType, String failureMessage) {
    return new VmDescription(
        sessionId,
        Phase.FAILED,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        List.of(),
        0,
        failureType,
        failureMessage,
        Viewers.NONE,
        null,
        null);
  }
}
