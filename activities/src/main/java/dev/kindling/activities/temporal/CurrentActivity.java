package dev.kindling.activities.temporal;

import io.temporal.activity.Activity;
import io.temporal.activity.ActivityExecutionContext;
import java.util.Optional;

/**
 * The Temporal activity the calling thread runs, if any: activities' code also runs in tests and
 * the CLI.
 */
public final class CurrentActivity {
  private CurrentActivity() {}

  public static Optional<ActivityExecutionContext> context() {
    try {
      return Optional.of(Activity.getExecutionContext());
    } catch (IllegalStateException notInAnActivity) {
      return Optional.empty();
    }
  }
}
