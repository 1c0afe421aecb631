package dev.kindling.host.exec;

import java.util.List;

/**
 * A host command that could not run or exited non-zero; the message names argv, exit code and
 * stderr tail.
 */
public final class CommandFailedException extends RuntimeException {
  private final List<String> argv;
  private final int exitCode;
  private final String stderrTail;

  public CommandFailedException(
      List<String> argv, int exitCode, String stderrTail, Throwable cause) {
    super(
        "command "
            + argv
            + " "
            + (exitCode < 0 ? "could not run" : "exited " + exitCode)
            + (stderrTail.isBlank() ? "" : ": " + stderrTail.strip()),
        cause);
    this.argv = List.copyOf(argv);
    this.exitCode = exitCode;
    this.stderrTail = stderrTail;
  }

  public List<String> argv() {
    return argv;
  }

  /** The exit status, or -1 when the command could not be started or timed out. */
  public int exitCode() {
    return exitCode;
  }

  public String stderrTail() {
    return stderrTail;
  }
}
