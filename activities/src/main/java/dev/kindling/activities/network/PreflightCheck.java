package dev.kindling.activities.network;

/**
 * One host setting VM networking depends on.
 *
 * @param problem what is wrong, or null when the check passed
 * @param fix how to make it pass, or null when it passed
 */
public record PreflightCheck(String name, boolean passed, String problem, String fix) {
  static PreflightCheck pass(String name) {
    return new PreflightCheck(name, true, null, null);
  }

  static PreflightCheck fail(String name, String problem, String fix) {
    return new PreflightCheck(name, false, problem, fix);
  }
}
