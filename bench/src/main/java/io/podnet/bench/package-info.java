/** podnet bench. */
package io.podnet.bench;
