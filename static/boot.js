// Loads the shop's first module (the shell: catalog, order, the wallet's
// create or unlock form) and mounts it. The wallet's module (its crypto,
// cards, checkout and receipts) is fetched only when the shopper first
// needs it: the shell calls `loadWallet`, then hands the page over to the
// wallet's `run_with`. A file, not an inline script, so the page's
// Content-Security-Policy can forbid inline code. `cargo xtask build`
// rewrites the paths to the content-named files under /assets/.
import init, { run_shell } from "/pkg/shell.js";

async function loadWallet() {
  const wallet = await import("/pkg/wallet_web.js");
  await wallet.default({ module_or_path: "/pkg/wallet_web_bg.wasm" });
  return wallet.run_with;
}

await init({ module_or_path: "/pkg/shell_bg.wasm" });
run_shell(loadWallet);
