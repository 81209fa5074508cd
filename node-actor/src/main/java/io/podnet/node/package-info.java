/** podnet node-actor. */
package io.podnet.node;
