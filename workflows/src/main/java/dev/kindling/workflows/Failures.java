package dev.kindling.workflows;

import dev.kindling.workflows.host.Diagnostics;
import io.temporal.api.enums.v1.TimeoutType;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.failure.ChildWorkflowFailure;
import io.temporal.failure.TimeoutFailure;
import java.util.Optional;

/**
 * Turns whatever a workflow step threw into the typed failure a workflow ends with, so a backend
 * sees {@code WebsockifyRefused} (with its diagnostics) as the workflow's failure type instead of a
 * generic activity failure. Deterministic: workflow code may call it.
 */
public final class Failures {
  private Failures() {}

  /** True when {@code e} is, or wraps, a cancellation. */
  public static boolean isCancellation(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof CanceledFailure) {
        return true;
      }
      if (!(t instanceof ActivityFailure) && !(t instanceof ChildWorkflowFailure)) {
        return false;
      }
    }
    return false;
  }

  /**
   * The non-retryable typed failure for a step that failed. {@code step} names it in the message
   * (e.g. "bootVm on host h1").
   */
  public static ApplicationFailure typed(String step, Throwable e) {
    Throwable cause = unwrap(e);
    if (cause instanceof ApplicationFailure app) {
      Optional<Diagnostics> diagnostics = diagnostics(app);
      String message = step + ": " + app.getOriginalMessage();
      return diagnostics.isPresent()
          ? ApplicationFailure.newNonRetryableFailureWithCause(
              message, app.getType(), e, diagnostics.get())
          : ApplicationFailure.newNonRetryableFailureWithCause(message, app.getType(), e);
    }
    if (cause instanceof TimeoutFailure timeout) {
      FailureKind kind =
          timeout.getTimeoutType() == TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE
                  || timeout.getTimeoutType() == TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE
              ? FailureKind.STEP_TIMED_OUT
              : FailureKind.HOST_UNAVAILABLE;
      String message = step + ": " + describe(timeout.getTimeoutType());
      return ApplicationFailure.newNonRetryableFailureWithCause(message, kind.type(), e);
    }
    String message =
        step
            + ": "
            + (cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage());
    // Temporal's own convention for untyped exceptions: the class name is the type.
    return ApplicationFailure.newNonRetryableFailureWithCause(
        message, cause.getClass().getName(), e);
  }

  /** The failure's {@link Diagnostics}, when its first detail is one. */
  public static Optional<Diagnostics> diagnostics(ApplicationFailure failure) {
    try {
      if (failure.getDetails() != null && failure.getDetails().getSize() > 0) {
        return Optional.ofNullable(failure.getDetails().get(0, Diagnostics.class));
      }
    } catch (RuntimeException notDiagnostics) {
      // The details were something else; the failure still carries them in its cause chain.
    }
    return Optional.empty();
  }

  private static Throwable unwrap(Throwable e) {
    Throwable t = e;
    while ((t instanceof ActivityFailure || t instanceof ChildWorkflowFailure)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  private static String describe(TimeoutType type) {
    return switch (type) {
      case TIMEOUT_TYPE_SCHEDULE_TO_START ->
          "no worker on the host picked the task up in time (host down?)";
      case TIMEOUT_TYPE_HEARTBEAT -> "the host's worker stopped heartbeating (worker died?)";
      case TIMEOUT_TYPE_START_TO_CLOSE -> "the step ran past its start-to-close timeout";
      case TIMEOUT_TYPE_SCHEDULE_TO_CLOSE -> "the step ran past its schedule-to-close timeout";
      default -> "timed out (" + type + ")";
    };
  }
}
