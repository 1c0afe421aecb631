package dev.kindling.proxy;

/**
 * Recognises a failure caused by the process (EMFILE) or the system (ENFILE) running out of file
 * descriptors. Java reports both as an {@link java.io.IOException} whose message is the C library's
 * text for the error, which starts "Too many open files" in both cases.
 */
final class DescriptorExhaustion {
  private static final String MESSAGE = "Too many open files";

  private DescriptorExhaustion() {}

  static boolean causedBy(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof java.io.IOException
          && t.getMessage() != null
          && t.getMessage().contains(MESSAGE)) {
        return true;
      }
    }
    return false;
  }
}
