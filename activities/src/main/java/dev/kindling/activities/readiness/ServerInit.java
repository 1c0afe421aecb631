package dev.kindling.activities.readiness;

/** What the VNC server said in ServerInit: the framebuffer's size and format, and its name. */
public record ServerInit(int width, int height, PixelFormat pixelFormat, String name) {}
