package dev.kindling.activities.readiness;

import dev.kindling.workflows.FailureKind;

/**
 * Why one attempt at a stage failed. {@code kind} is null when the attempt proved nothing (it
 * timed out without a telling cause); {@code retryable} is false when retrying cannot help.
 */
final class AttemptFailure extends Exception {
  private final FailureKind kind;
  private final boolean retryable;
  private final boolean timedOut;
  private final boolean slowAnswer;

  private AttemptFailure(FailureKind kind, String message, boolean retryable, boolean timedOut, boolean slowAnswer) {
    super(message, null, false, false);
    this.kind = kind;
    this.retryable = retryable;
    this.timedOut = timedOut;
    this.slowAnswer = slowAnswer;
  }

  static AttemptFailure transientFailure(FailureKind kind, String message) {
    return new AttemptFailure(kind, message, true, false, false);
  }

  /** The attempt waited its whole budget for an answer that did not come. */
  static AttemptFailure timedOut(FailureKind kind, String message) {
    return new AttemptFailure(kind, message, true, true, false);
  }

  /** A peer that took the connection waited the attempt's whole budget without answering: it may only be slow. */
  static AttemptFailure answerTimedOut(FailureKind kind, String message) {
    return new AttemptFailure(kind, message, true, true, true);
  }

  static AttemptFailure definite(FailureKind kind, String message) {
    return new AttemptFailure(kind, message, false, false, false);
  }

  boolean timedOut() {
    return timedOut;
  }

  boolean slowAnswer() {
    return slowAnswer;
  }

  FailureKind kind() {
    return kind;
  }

  boolean retryable() {
    return retryable;
  }
}
