/** podnet apiserver-actor. */
package io.podnet.apiserver;
