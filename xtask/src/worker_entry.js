// The worker's entry module, bundled by `cargo xtask build` with
// wasm-bindgen's module for the gateway worker (`./index.js`, generated
// with `--experimental-reset-state-function` and
// `--force-enable-abort-handler`). It hands each event to the Rust handler
// of the same name and exports each Durable Object class.
//
// A trap (a Rust panic: the release profile aborts) leaves the wasm
// instance's memory unknown. The `worker` crate's panic hook then sets
// `criticalError` in its shared state (`__worker_init_state`); a
// `WebAssembly.RuntimeError` thrown here does the same. Before the next
// call the instance is reset, and a Durable Object made before the reset
// makes its Rust half again from its constructor's arguments.
import { WorkerEntrypoint } from "cloudflare:workers";
import * as wasm from "./index.js";

const state = wasm.__worker_init_state();

function resetIfBroken() {
  if (state.criticalError) {
    console.log("the wasm instance trapped: resetting it");
    wasm.__wbg_reset_state();
    state.criticalError = false;
    state.instanceId++;
  }
}

function noteTrap(error) {
  if (error instanceof WebAssembly.RuntimeError) {
    console.error("wasm trap", error);
    state.criticalError = true;
  }
}

addEventListener("error", (event) => noteTrap(event.error));

// Calls `run`, noting a trap whether it throws or its promise rejects.
function guarded(run) {
  resetIfBroken();
  try {
    const result = run();
    if (result instanceof Promise) {
      return result.catch((error) => {
        noteTrap(error);
        throw error;
      });
    }
    return result;
  } catch (error) {
    noteTrap(error);
    throw error;
  }
}

class Entrypoint extends WorkerEntrypoint {}

// Event handlers take the event's argument, then the environment and the
// execution context.
for (const event of __EVENTS__) {
  Entrypoint.prototype[event] = function (argument) {
    return guarded(() => wasm[event](argument, this.env, this.ctx));
  };
}

export default Entrypoint;

// A Durable Object class around a wasm-bindgen class: each method is
// guarded, and a Rust half made before the last reset is made again.
function durableObject(Rust) {
  class DurableObjectClass {
    constructor(...args) {
      this.args = args;
      this.rust = guarded(() => new Rust(...args));
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
      return guarded(() => {
        if (this.instanceId !== state.instanceId) {
          this.rust = new Rust(...this.args);
          this.instanceId = state.instanceId;
        }
        return this.rust[name](...args);
      });
    };
  }
  return DurableObjectClass;
}

__CLASSES__
