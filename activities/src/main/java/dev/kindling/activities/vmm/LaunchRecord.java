package dev.kindling.activities.vmm;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kindling.host.FileTrees;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * {@code <vmDir>/launch.json}: how a VMM was started, so a worker that restarted can snapshot or
 * describe a VM it did not start itself.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record LaunchRecord(
    String vmId,
    String imageId,
    String vmm,
    String machine,
    String accelerator,
    int memoryMib,
    int vcpus,
    String kernelCmdline,
    long pid,
    long startedAtEpochMillis,
    long startMillis) {

  public static final String FILE = "launch.json";
  private static final ObjectMapper JSON = new ObjectMapper();

  public static Optional<LaunchRecord> read(Path vmDir) {
    Path file = vmDir.resolve(FILE);
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    try {
      return Optional.of(JSON.readValue(file.toFile(), LaunchRecord.class));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  public void write(Path vmDir) {
    try {
      FileTrees.writeAtomically(vmDir.resolve(FILE), JSON.writeValueAsBytes(this));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + vmDir.resolve(FILE), e);
    }
  }

  public RunningVm toRunningVm(Path vmDir) {
    return new RunningVm(vmId, vmm, accelerator, pid, vmDir, startedAtEpochMillis, startMillis);
  }
}
