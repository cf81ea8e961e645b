// Loads the wallet's WebAssembly and mounts it. A file, not an inline
// script, so the page's Content-Security-Policy can forbid inline code.
// `cargo xtask build` rewrites both paths to the content-named files
// under /assets/.
import init, { run } from "/pkg/wallet_web.js";

await init({ module_or_path: "/pkg/wallet_web_bg.wasm" });
run();
