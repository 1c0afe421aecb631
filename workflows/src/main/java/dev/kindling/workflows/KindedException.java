package dev.kindling.workflows;

/**
 * A failure of host work that knows the {@link FailureKind} a workflow should see. Activities do
 * not translate these themselves: one helper ({@code HostFailures.typed} in the activities module)
 * turns every one into the kind's Temporal failure, with {@link #details()} as its details.
 */
public abstract class KindedException extends RuntimeException {
  private final FailureKind kind;

  protected KindedException(FailureKind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  protected KindedException(FailureKind kind, String message) {
    this(kind, message, null);
  }

  public FailureKind kind() {
    return kind;
  }

  /** Evidence carried as the Temporal failure's details; none by default. */
  public Object[] details() {
    return new Object[0];
  }
}
