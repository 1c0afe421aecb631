package dev.kindling.host.exec;

import java.util.List;

public record CommandResult(List<String> argv, int exitCode, String stdout, String stderr) {
  public boolean ok() {
    return exitCode == 0;
  }
}
