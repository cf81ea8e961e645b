// Loads the shop's first module (the shell: catalog, order, the wallet's
// create or unlock form) and mounts it. The wallet's module (its crypto,
// cards, checkout and receipts) is fetched only when the shell asks
// (`loadWallet`, once however often it asks), and then takes the page
// over (`take_over`). A file, not an inline script, so the page's
// Content-Security-Policy can forbid inline code. `cargo xtask build`
// rewrites the paths to the content-named files under /assets/.
import init, { run_shell } from "/pkg/shell.js";

let wallet = null;

function loadWallet() {
  wallet ??= import("/pkg/wallet_web.js")
    .then(async (module) => {
      await module.default({ module_or_path: "/pkg/wallet_web_bg.wasm" });
      return module.take_over;
    })
    .catch((error) => {
      // A failed fetch is not kept: the next ask tries again.
      wallet = null;
      throw error;
    });
  return wallet;
}

await init({ module_or_path: "/pkg/shell_bg.wasm" });
run_shell(loadWallet);
