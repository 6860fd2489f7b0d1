/**
 * A budget of stream resets per HTTP/2 connection. A client that cancels a call before its
 * status arrives sends RST_STREAM, and nghttp2's rapid-reset guard (CVE-2023-44487: a burst
 * of 1000, then ~33/s; Node 20 ignores `streamResetBurst`) answers a peer that sends too many
 * with GOAWAY, failing every call on the connection: other clients' requests die because some
 * clients went away. So each channel counts the resets it has sent and the calls still open
 * on it (each may yet be cancelled: 1,500 aborted HTTP clients cancel 1,500 calls that are
 * already on the connection); once the two together reach the budget, the ClientCache moves
 * new calls to a fresh connection and closes the old one when its last call ends. No
 * connection can then receive more resets than the budget.
 */
import { InterceptingCall, status as Status } from "@grpc/grpc-js";
import type { Interceptor } from "@grpc/grpc-js";

/** Resets one connection may be exposed to: half nghttp2's burst, so even a burst cannot trip it. */
export const RESET_BUDGET = 500;

/** Counts one channel's calls in flight and the resets they sent (installed as an interceptor). */
export class CallTracker {
  /** Calls started whose status has not arrived. */
  inFlight = 0;
  /** Calls cancelled before their status arrived (each sent, or may have sent, RST_STREAM). */
  resets = 0;
  private idle: (() => void) | undefined;

  /** The interceptor that keeps the counts; every call of the channel must go through it. */
  readonly interceptor: Interceptor = (options, nextCall) => {
    let ended = false;
    let cancelled = false;
    return new InterceptingCall(nextCall(options), {
      start: (metadata, listener, next) => {
        this.inFlight++;
        next(metadata, {
          onReceiveStatus: (status, nextStatus) => {
            if (!ended) {
              ended = true;
              // grpc-js resets a call whose deadline passes without going through cancel();
              // a server that sent DEADLINE_EXCEEDED itself is counted too, which only rotates sooner.
              if (status.code === Status.DEADLINE_EXCEEDED && !cancelled) this.resets++;
              this.callEnded();
            }
            nextStatus(status);
          },
        });
      },
      cancel: (next) => {
        // A call whose status arrived has no stream left to reset: grpc-js sends nothing.
        if (!ended && !cancelled) {
          cancelled = true;
          this.resets++;
        }
        next();
      },
    });
  };

  /** Resets the connection has received or may still receive (sent + calls that may be cancelled). */
  get exposure(): number {
    return this.resets + this.inFlight;
  }

  /** Calls `callback` once no call is in flight (at once when none is). */
  whenIdle(callback: () => void): void {
    if (this.inFlight === 0) callback();
    else this.idle = callback;
  }

  private callEnded(): void {
    this.inFlight--;
    if (this.inFlight > 0 || this.idle === undefined) return;
    const idle = this.idle;
    this.idle = undefined;
    idle();
  }
}
