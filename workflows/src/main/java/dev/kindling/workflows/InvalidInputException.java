package dev.kindling.workflows;

/** Input that Kindling refuses before anything changes on a host. */
public final class InvalidInputException extends IllegalArgumentException {
  private final String field;

  public InvalidInputException(String field, String message) {
    super(field + ": " + message);
    this.field = field;
  }

  public String field() {
    return field;
  }
}
