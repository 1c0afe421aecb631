package dev.kindling.snapshot;

import dev.kindling.workflows.FailureKind;
import dev.kindling.workflows.KindedException;

/** A template recipe that cannot be built; {@link #field()} names the offending key. */
public final class InvalidTemplateException extends KindedException {
  private final String template;
  private final String field;

  public InvalidTemplateException(String template, String field, String message) {
    super(
        FailureKind.INVALID_TEMPLATE,
        "template " + (template == null ? "?" : template) + ": " + field + ": " + message);
    this.template = template;
    this.field = field;
  }

  public String template() {
    return template;
  }

  public String field() {
    return field;
  }
}
