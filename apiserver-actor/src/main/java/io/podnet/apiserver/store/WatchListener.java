package io.podnet.apiserver.store;

/**
 * Receives a watch's events, in resourceVersion order, synchronously from the store's write call.
 * A listener that throws is dropped from the store and hears nothing more.
 */
@FunctionalInterface
public interface WatchListener {
  void onEvent(WatchEvent event);

  /**
   * The watch ended without being cancelled by its owner (the API server that ran it stopped or
   * restarted): no event follows. As a kube-apiserver going away closes its watch streams.
   */
  default void onClosed(Status why) {}
}
