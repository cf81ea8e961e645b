// The worker's entry module, bundled by `cargo xtask build` with
// wasm-bindgen's module for the gateway worker (`./index.js`, generated
// with `--experimental-reset-state-function` and
// `--force-enable-abort-handler`). It hands each event to the Rust handler
// of the same name and exports each Durable Object class.
//
// A trap (a Rust panic: the release profile aborts) leaves the wasm
// instance's memory unknown. wasm-bindgen's glue, asked by the `worker`
// crate's abort handler, then makes a fresh instance before the next call,
// and the `worker` crate counts instances (`instanceId` in the state it
// shares as `__worker_init_state`). A Durable Object made before the reset
// makes its Rust half again, from its constructor's arguments, before its
// next call: the old half's memory is gone.
import { WorkerEntrypoint } from "cloudflare:workers";
import * as wasm from "./index.js";

const state = wasm.__worker_init_state();

class Entrypoint extends WorkerEntrypoint {}

// Event handlers take the event's argument, then the environment and the
// execution context.
for (const event of __EVENTS__) {
  Entrypoint.prototype[event] = function (argument) {
    return wasm[event](argument, this.env, this.ctx);
  };
}

export default Entrypoint;

// A Durable Object class around a wasm-bindgen class: a Rust half made
// before the last reset is made again before it is called.
function durableObject(Rust) {
  class DurableObjectClass {
    constructor(...args) {
      this.args = args;
      this.rust = new Rust(...args);
      this.instanceId = state.instanceId;
    }
  }
  const methods = Object.getOwnPropertyNames(Rust.prototype).filter(
    (name) =>
      name !== "constructor" &&
      name !== "free" &&
      !name.startsWith("__") &&
      typeof Object.getOwnPropertyDescriptor(Rust.prototype, name).value ===
        "function",
  );
  for (const name of methods) {
    DurableObjectClass.prototype[name] = function (...args) {
      if (this.instanceId !== state.instanceId) {
        this.rust = new Rust(...this.args);
        this.instanceId = state.instanceId;
      }
      return this.rust[name](...args);
    };
  }
  return DurableObjectClass;
}

__CLASSES__
