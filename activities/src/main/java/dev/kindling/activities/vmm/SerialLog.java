package dev.kindling.activities.vmm;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Reads the end of a VM's serial console log for failure messages and diagnostics. */
public final class SerialLog {
  private SerialLog() {}

  /**
   * The last {@code maxBytes} of the log with control characters (terminal escapes) removed; ""
   * when absent.
   */
  public static String tail(Path log, int maxBytes) {
    try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "r")) {
      long start = Math.max(0, file.length() - maxBytes);
      byte[] bytes = new byte[(int) (file.length() - start)];
      file.seek(start);
      file.readFully(bytes);
      return new String(bytes, StandardCharsets.UTF_8)
          .replaceAll("\u001b\\[[0-9;?]*[A-Za-z]", "")
          .replaceAll("[\\p{Cntrl}&&[^\n\t]]", "");
    } catch (IOException e) {
      return "";
    }
  }
}
