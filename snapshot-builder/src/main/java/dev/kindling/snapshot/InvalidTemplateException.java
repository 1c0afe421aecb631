package dev.kindling.snapshot;

import dev.kindling.workflows.FailureKind;

/** A template recipe that cannot be built; {@link #field()} names the offending key. */
public final class InvalidTemplateException extends RuntimeException {
  private final String template;
  private final String field;

  public InvalidTemplateException(String template, String field, String message) {
    super("template " + (template == null ? "?" : template) + ": " + field + ": " + message);
    this.template = template;
    this.field = field;
  }

  public String template() {
    return template;
  }

  public String field() {
    return field;
  }

  public FailureKind kind() {
    return FailureKind.INVALID_TEMPLATE;
  }
}
