// Loads the wallet's module on the back office page (`/staff`), where its
// `run` mounts the back office. `cargo xtask build` rewrites the paths to
// the content-named files under /assets/.
import init, { run } from "/pkg/wallet_web.js";

await init({ module_or_path: "/pkg/wallet_web_bg.wasm" });
run();
