package dev.kindling.activities.temporal;

import dev.kindling.host.exec.CommandFailedException;
import dev.kindling.workflows.FailureKind;
import dev.kindling.workflows.InvalidInputException;
import dev.kindling.workflows.KindedException;
import io.temporal.failure.ApplicationFailure;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The one place host work's failures become the typed Temporal failures workflows see: a {@link
 * KindedException} as its kind (with its evidence), invalid input as {@code InvalidInput}, and a
 * failed command or I/O as {@code CommandFailed}. Every activity implementation runs its body
 * through {@link #typed}.
 */
public final class HostFailures {
  private HostFailures() {}

  /**
   * Runs {@code action}; {@code doing} ("creating the network of vm…") prefixes untyped failures,
   * or null.
   */
  public static <T> T typed(String doing, IoSupplier<T> action) {
    try {
      return action.get();
    } catch (ApplicationFailure e) {
      throw e;
    } catch (KindedException e) {
      throw e.kind().failure(e.getMessage(), e.details());
    } catch (InvalidInputException e) {
      throw FailureKind.INVALID_INPUT.failure(e.getMessage());
    } catch (CommandFailedException | UncheckedIOException | IOException e) {
      throw FailureKind.COMMAND_FAILED.failure(
          doing == null ? e.getMessage() : doing + " failed: " + e.getMessage());
    }
  }

  public static <T> T typed(IoSupplier<T> action) {
    return typed(null, action);
  }

  public static void typed(String doing, IoRunnable action) {
    typed(
        doing,
        () -> {
          action.run();
          return null;
        });
  }

  @FunctionalInterface
  public interface IoSupplier<T> {
    T get() throws IOException;
  }

  @FunctionalInterface
  public interface IoRunnable {
    void run() throws IOException;
  }
}
