package dev.kindling.activities.readiness;

import dev.kindling.workflows.FailureKind;

/**
 * Why one attempt at a stage failed. {@code kind} is null when the attempt proved nothing (it timed
 * out without a telling cause); {@code retryable} is false when retrying cannot help.
 */
final class AttemptFailure extends Exception {
  /**
   * How an attempt ended; each says whether retrying can help and whether the attempt used its
   * whole budget.
   */
  private enum Ending {
    TRANSIENT,
    /** The attempt waited its whole budget for an answer that did not come. */
    TIMED_OUT,
    /**
     * A peer that took the connection waited the attempt's whole budget without answering: it may
     * only be slow.
     */
    SLOW_ANSWER,
    DEFINITE
  }

  private final FailureKind kind;
  private final Ending ending;

  private AttemptFailure(FailureKind kind, String message, Ending ending) {
    super(message, null, false, false);
    this.kind = kind;
    this.ending = ending;
  }

  static AttemptFailure transientFailure(FailureKind kind, String message) {
    return new AttemptFailure(kind, message, Ending.TRANSIENT);
  }

  static AttemptFailure timedOut(FailureKind kind, String message) {
    return new AttemptFailure(kind, message, Ending.TIMED_OUT);
  }

  static AttemptFailure answerTimedOut(FailureKind kind, String message) {
    return new AttemptFailure(kind, message, Ending.SLOW_ANSWER);
  }

  static AttemptFailure definite(FailureKind kind, String message) {
    return new AttemptFailure(kind, message, Ending.DEFINITE);
  }

  /** True for both kinds of timeout: the attempt used its whole budget. */
  boolean timedOut() {
    return ending == Ending.TIMED_OUT || ending == Ending.SLOW_ANSWER;
  }

  boolean slowAnswer() {
    return ending == Ending.SLOW_ANSWER;
  }

  FailureKind kind() {
    return kind;
  }

  boolean retryable() {
    return ending != Ending.DEFINITE;
  }
}
