package dev.kindling.activities.vmm;

import dev.kindling.host.exec.CommandResult;
import dev.kindling.host.exec.Commands;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The host's TSC frequency in kHz. Under TCG the guest's TSC ticks at the host's rate, and a {@code
 * microvm} guest has no PIT or HPET to calibrate it against, so it is passed on the kernel command
 * line as {@code tsc_early_khz}.
 */
public final class HostTsc {
  private static final Pattern REFINED =
      Pattern.compile("Refined TSC clocksource calibration: ([0-9]+)\\.([0-9]{1,3}) MHz");
  private static final Pattern DETECTED =
      Pattern.compile("tsc: Detected ([0-9]+)\\.([0-9]{1,3}) MHz");
  private static final Pattern CPUINFO =
      Pattern.compile("(?m)^cpu MHz\\s*:\\s*([0-9]+)\\.([0-9]{1,3})");

  private HostTsc() {}

  /** Reads the kernel log (the calibrated value) and falls back to /proc/cpuinfo. */
  public static OptionalLong khz() {
    String kernelLog = "";
    try {
      CommandResult dmesg = Commands.run(List.of("dmesg"), Duration.ofSeconds(5), null);
      kernelLog = dmesg.ok() ? dmesg.stdout() : "";
    } catch (RuntimeException e) {
      // Not allowed to read the kernel log: /proc/cpuinfo below is the fallback.
    }
    String cpuinfo = "";
    try {
      cpuinfo = Files.readString(Path.of("/proc/cpuinfo"));
    } catch (IOException e) {
      // No cpuinfo: parse() returns empty and the caller decides.
    }
    return parse(kernelLog, cpuinfo);
  }

  static OptionalLong parse(String kernelLog, String cpuinfo) {
    for (Pattern pattern : List.of(REFINED, DETECTED)) {
      Matcher m = pattern.matcher(kernelLog);
      long found = -1;
      while (m.find()) {
        found = toKhz(m);
      }
      if (found > 0) {
        return OptionalLong.of(found);
      }
    }
    Matcher m = CPUINFO.matcher(cpuinfo);
    return m.find() ? OptionalLong.of(toKhz(m)) : OptionalLong.empty();
  }

  private static long toKhz(Matcher m) {
    String fraction = (m.group(2) + "00").substring(0, 3);
    return Long.parseLong(m.group(1)) * 1000 + Long.parseLong(fraction);
  }
}
