// Command jsonloop is the hand-written baseline for bench/peer.sh: the
// orders filter + project job as a single-threaded encoding/json loop, the
// way a careful engineer would write it without a framework.
package main
