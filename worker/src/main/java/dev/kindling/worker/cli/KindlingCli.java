package dev.kindling.worker.cli;

import dev.kindling.workflows.InvalidInputException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code kindling} command line. */
@Command(
    name = "kindling",
    mixinStandardHelpOptions = true,
    version = "kindling 0.1.0",
    description =
        "Durable per-user browser VMs: golden images, Temporal workflows, a WebSocket proxy.",
    subcommands = {
      DevCommand.class,
      DemoCommand.class,
      WorkerCommand.class,
      ProxyCommand.class,
      VmCommand.class,
      PoolCommand.class,
      HostCommand.class,
      ImageCommand.class,
      TokenCommand.class,
      PreflightCommand.class,
      ConfigCommand.class,
      CommandLine.HelpCommand.class
    })
public final class KindlingCli implements Runnable {
  /** Exit status for input Kindling refused before changing anything. */
  public static final int EXIT_INVALID_INPUT = 2;

  /** Exit status for a typed failure (the VM or image failed with a named stage). */
  public static final int EXIT_FAILED = 3;

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }

  public static void main(String[] args) {
    int status = execute(args);
    if (!Shutdown.requested()) {
      System.exit(status);
    }
  }

  public static int execute(String... args) {
    CommandLine commandLine = new CommandLine(new KindlingCli());
    commandLine.setExecutionExceptionHandler(
        (e, cmd, parsed) -> {
          if (e instanceof InvalidInputException invalid) {
            cmd.getErr().println("kindling: invalid input: " + invalid.getMessage());
            return EXIT_INVALID_INPUT;
          }
          if (e instanceof TypedFailureException typed) {
            cmd.getErr().println("kindling: " + typed.getMessage());
            return EXIT_FAILED;
          }
          throw e;
        });
    return commandLine.execute(args);
  }
}
