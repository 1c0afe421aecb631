package dev.kindling.activities.readiness;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;

/**
 * The session app as the guest agent reports it ({@code GET /v1/app}): its systemd unit, the last
 * exit, the window its template names (null while none is mapped), what was launched, and the tail
 * of its log.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record AppStatus(
    boolean configured,
    String template,
    String onExit,
    String activeState,
    String subState,
    int mainPid,
    int restarts,
    String exitCode,
    Integer exitStatus,
    Window window,
    Launch launch,
    String logTail) {

  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Window(String id, String wmClass, String title) {}

  /**
   * @param polled whether anything in the guest ever asked the agent for a URL (the browser's start
   *     page)
   */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Launch(
      int generation, String url, boolean urlDelivered, boolean polled, List<String> args) {}

  /**
   * True when the app is not running and will not come back by itself: systemd gave up restarting
   * it (the unit failed: five quick exits in 30 s), or it exited under a template that does not
   * restart it. An app still being restarted is given until the deadline.
   */
  public boolean gaveUp() {
    return "failed".equals(activeState) || ("inactive".equals(activeState) && exitCode != null);
  }

  /** Whether the template ends the lease when its app exits (instead of restarting the app). */
  public boolean releasesOnExit() {
    return "release".equals(onExit);
  }

  /** How the app ended, e.g. "exited with status 3" or "killed by signal 9", or its state. */
  public String ending() {
    if (exitCode == null) {
      return "is " + activeState + (subState == null ? "" : " (" + subState + ")");
    }
    String how =
        switch (exitCode) {
          case "exited" -> "exited with status " + exitStatus;
          case "killed", "dumped" -> exitCode + " by signal " + exitStatus;
          default -> exitCode + " " + exitStatus;
        };
    return how
        + (restarts > 0 ? " (restarted " + restarts + " times)" : "")
        + "; unit "
        + activeState;
  }

  /**
   * Whether the launch's URL, if there is one, has reached the app. An app that never asks for a
   * URL (a terminal) has it in {@code KINDLING_LAUNCH_URL} from its next start only, and is not
   * waited for.
   */
  public boolean launchDelivered() {
    return launch == null || launch.url() == null || launch.urlDelivered() || !launch.polled();
  }
}
