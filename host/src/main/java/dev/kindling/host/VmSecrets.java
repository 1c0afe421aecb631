package dev.kindling.host;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * A VM's secrets, generated on its host when it boots and kept in {@code <vmDir>/secrets.json}
 * (mode 0600). They never travel through Temporal and are never baked into an image.
 *
 * @param vncPassword 8 characters: VNC authentication uses at most 8
 */
public record VmSecrets(String vncPassword) {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String ALPHABET =
      "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  private static final ObjectMapper JSON = new ObjectMapper();
  public static final String FILE = "secrets.json";

  public static VmSecrets generate() {
    StringBuilder password = new StringBuilder(8);
    for (int i = 0; i < 8; i++) {
      password.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
    }
    return new VmSecrets(password.toString());
  }

  /** Reads the VM's secrets, generating and storing them first if it has none (idempotent). */
  public static synchronized VmSecrets ensure(Path vmDir) {
    Path file = vmDir.resolve(FILE);
    if (Files.exists(file)) {
      return read(vmDir);
    }
    return write(file);
  }

  /**
   * Replaces the VM's secrets with new ones (a pool VM handed to a session): whoever knew the old
   * password cannot use it once the guest has the new one.
   */
  public static synchronized VmSecrets rotate(Path vmDir) {
    return write(vmDir.resolve(FILE));
  }

  /** New secrets in {@code file}, readable by the owner only. */
  private static VmSecrets write(Path file) {
    VmSecrets secrets = generate();
    try {
      FileTrees.writeAtomically(file, JSON.writeValueAsBytes(secrets), "rw-------");
      return secrets;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static VmSecrets read(Path vmDir) {
    try {
      return JSON.readValue(vmDir.resolve(FILE).toFile(), VmSecrets.class);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the VM's secrets in " + vmDir, e);
    }
  }

  /** A short, non-secret fingerprint for logs. */
  public String fingerprint() {
    try {
      byte[] digest =
          java.security.MessageDigest.getInstance("SHA-256")
              .digest(vncPassword.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 4);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public String toString() {
    return "VmSecrets[" + fingerprint() + "]";
  }
}
