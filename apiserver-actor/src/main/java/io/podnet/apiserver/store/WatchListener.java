package io.podnet.apiserver.store;

/**
 * Receives a watch's events, in resourceVersion order, synchronously from the store's write call.
 * A listener that throws is dropped from the store and hears nothing more.
 */
@FunctionalInterface
public interface WatchListener {
  void onEvent(WatchEvent event);
}
