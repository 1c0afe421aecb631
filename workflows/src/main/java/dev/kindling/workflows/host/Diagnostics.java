package dev.kindling.workflows.host;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * Evidence attached to a failure: enough to name the cause without logging into the host.
 *
 * @param stage the stage that failed (a {@link ReadinessStage} label or a workflow phase)
 * @param agentUnits unit states as the guest agent reported them, or null when it did not answer
 * @param vmmExitCode the VMM's exit status when it had exited, else null
 * @param app the session app's state when the agent reported it, e.g. "exited with status 3
 *     (restarted 5 times)"
 * @param appLogTail the end of the app's own log, when the agent reported it
 * @param thumbnail the host path of a PNG of the desktop as readiness last saw it (for a blank
 *     desktop)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Diagnostics(
    String vmId,
    String stage,
    String detail,
    String serialTail,
    String links,
    String addresses,
    String routes,
    String neighbours,
    String agentUnits,
    Integer vmmExitCode,
    String app,
    String appLogTail,
    String thumbnail) {

  /** These diagnostics with what is known of the session app and the screen. */
  public Diagnostics withApp(String appState, String logTail, String thumbnailPath) {
    return new Diagnostics(
        vmId,
        stage,
        detail,
        serialTail,
        links,
        addresses,
        routes,
        neighbours,
        agentUnits,
        vmmExitCode,
        appState,
        logTail,
        thumbnailPath);
  }
}
