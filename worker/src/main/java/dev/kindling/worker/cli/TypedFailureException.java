package dev.kindling.worker.cli;

/**
 * A failure the CLI reports by its type and stage, with exit status {@link
 * KindlingCli#EXIT_FAILED}.
 */
public final class TypedFailureException extends RuntimeException {
  private final String type;

  public TypedFailureException(String type, String message) {
    super(type + ": " + message);
    this.type = type;
  }

  public String type() {
    return type;
  }
}
