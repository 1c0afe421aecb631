package dev.kindling.activities.vmm;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kindling.host.FileTrees;
import dev.kindling.workflows.host.BootMode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** {@code <vmDir>/boot.json}: which request started the VM, so a retry of that request finds it. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record BootRecord(
    String requestId, BootMode mode, String imageId, long createdAtEpochMillis) {
  public static final String FILE = "boot.json";
  private static final ObjectMapper JSON = new ObjectMapper();

  public static Optional<BootRecord> read(Path vmDir) {
    try {
      return Optional.of(JSON.readValue(Files.readAllBytes(vmDir.resolve(FILE)), BootRecord.class));
    } catch (java.nio.file.NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + vmDir.resolve(FILE), e);
    }
  }

  public void write(Path vmDir) {
    try {
      FileTrees.writeAtomically(vmDir.resolve(FILE), JSON.writeValueAsBytes(this));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + vmDir.resolve(FILE), e);
    }
  }
}
