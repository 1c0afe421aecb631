package dev.kindling.workflows;

import io.temporal.failure.ApplicationFailure;
import java.util.Arrays;

/**
 * Every typed failure Kindling raises. The {@link #type()} string is the Temporal application
 * failure type a backend sees; {@link #stage()} names the step that failed.
 */
public enum FailureKind {
  INVALID_INPUT("InvalidInput", "input", false),
  UNKNOWN_IMAGE("UnknownImage", "placement", false),
  /**
   * Hosts have the image, but none that is live and undrained has a free VM slot; the message and
   * details name every host considered and why it was skipped.
   */
  NO_CAPACITY("NoCapacity", "placement", false),
  SNAPSHOT_MISMATCH("SnapshotMismatch", "boot", false),
  HOST_PREFLIGHT("HostPreflightFailed", "network", false),
  OWNERSHIP_CONFLICT("OwnershipConflict", "network", false),
  VMM_FAILED_TO_START("VmmFailedToStart", "boot", false),
  VMM_EXITED("VmmExited", "readiness", false),
  GUEST_UNREACHABLE("GuestUnreachable", "readiness", false),
  AGENT_UNHEALTHY("AgentUnhealthy", "readiness", false),
  WEBSOCKIFY_REFUSED("WebsockifyRefused", "readiness", false),
  WEBSOCKET_UPGRADE_FAILED("WebSocketUpgradeFailed", "readiness", false),
  NO_BANNER("NoRfbBanner", "readiness", false),
  HANDSHAKE_FAILED("HandshakeFailed", "readiness", false),
  READINESS_TIMEOUT("ReadinessTimeout", "readiness", false),
  /**
   * The session app exited, or never mapped the window its template names; carries its exit status
   * and log tail.
   */
  APP_NOT_RUNNING("AppNotRunning", "readiness", false),
  /**
   * The app's window is mapped but the desktop shows nothing (one colour, or next to nothing on
   * it); carries a thumbnail.
   */
  BLANK_DESKTOP("BlankDesktop", "readiness", false),
  IMAGE_BUILD_FAILED("ImageBuildFailed", "build", false),
  /** A template recipe that cannot be built: the message names the field. */
  INVALID_TEMPLATE("InvalidTemplate", "build", false),
  CANARY_FAILED("CanaryFailed", "canary", false),
  COMMAND_FAILED("CommandFailed", "host", true),
  /**
   * No worker on the VM's host picked up a task in time (schedule-to-start) or it stopped
   * heartbeating.
   */
  HOST_UNAVAILABLE("HostUnavailable", "host", false),
  /**
   * The READY VM's host stopped reporting for longer than its {@code host.lostAfterSeconds}: the
   * session is gone with it and may be created again. The host reclaims the VM when it returns.
   */
  HOST_LOST("HostLost", "host", false),
  /** A host step ran past its start-to-close timeout. */
  STEP_TIMED_OUT("StepTimedOut", "host", false),
  /** Teardown could not remove everything; the cleanup reconciler will retry on that host. */
  TEARDOWN_FAILED("TeardownFailed", "teardown", false),
  /**
   * The workflow was cancelled before its VM became ready (recorded in describe; Temporal shows it
   * as cancelled).
   */
  CANCELLED("Cancelled", "cancellation", false);

  private final String type;
  private final String stage;
  private final boolean retryable;

  FailureKind(String type, String stage, boolean retryable) {
    this.type = type;
    this.stage = stage;
    this.retryable = retryable;
  }

  public String type() {
    return type;
  }

  public String stage() {
    return stage;
  }

  public boolean retryable() {
    return retryable;
  }

  /**
   * A Temporal failure of this kind; {@code details} (e.g. a {@code Diagnostics}) travel with it.
   */
  public ApplicationFailure failure(String message, Object... details) {
    return retryable
        ? ApplicationFailure.newFailure(message, type, details)
        : ApplicationFailure.newNonRetryableFailure(message, type, details);
  }

  /** Types that retrying cannot fix, for {@code RetryOptions.setDoNotRetry}. */
  public static String[] nonRetryableTypes() {
    return Arrays.stream(values())
        .filter(k -> !k.retryable)
        .map(FailureKind::type)
        .toArray(String[]::new);
  }

  public static FailureKind ofType(String type) {
    return Arrays.stream(values()).filter(k -> k.type.equals(type)).findFirst().orElse(null);
  }
}
