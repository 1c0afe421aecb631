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
    EgressReport egress) {

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
        null);
  }
}
