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

  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Launch(int generation, String url, boolean urlDelivered, List<String> args) {}

  /** Restarted this often without ever mapping its window, the app is taken to crash at start. */
  static final int CRASH_LOOP_RESTARTS = 3;

  /** True when the app is not running and will not come back by itself. */
  public boolean gaveUp() {
    if ("failed".equals(activeState)) {
      return true;
    }
    boolean exited = exitCode != null && !"active".equals(activeState) && !"activating".equals(activeState)
        && !"reloading".equals(activeState);
    return exited || (window == null && restarts >= CRASH_LOOP_RESTARTS);
  }

  /** How the app ended, e.g. "exited with status 3" or "killed by signal 9", or its state. */
  public String ending() {
    if (exitCode == null) {
      return "is " + activeState + (subState == null ? "" : " (" + subState + ")");
    }
    String how = switch (exitCode) {
      case "exited" -> "exited with status " + exitStatus;
      case "killed", "dumped" -> exitCode + " by signal " + exitStatus;
      default -> exitCode + " " + exitStatus;
    };
    return how + (restarts > 0 ? " (restarted " + restarts + " times)" : "") + "; unit " + activeState;
  }

  /** Whether the launch's URL, if there is one, has reached the app. */
  public boolean launchDelivered() {
    return launch == null || launch.url() == null || launch.urlDelivered();
  }
}
