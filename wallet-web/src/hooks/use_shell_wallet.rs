//! `use_shell_wallet`: the wallet as the shop's first module (`shell.rs`)
//! knows it, from IndexedDB alone, through `vault`: whether one exists,
//! and whether it unlocks with a passkey. The wallet's module reads the
//! same again when it takes over. First, whether this browser can run the
//! wallet's module at all: it needs WebAssembly SIMD (the vault's
//! Argon2id), and without it the shopper is told so rather than to check
//! the connection.

use std::rc::Rc;

use yew::platform::spawn_local;
use yew::{Reducible, UseReducerHandle, hook, use_effect_with, use_reducer};

use crate::vault::{DATABASE_NAME, Vault};

/// The smallest module that uses a SIMD instruction: one function that
/// returns `i8x16.splat(i32.const 0)`. A browser without WebAssembly SIMD
/// finds it invalid, as it would the wallet's module.
pub(crate) const SIMD_PROBE: [u8; 29] = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
    0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // types: () -> v128
    0x03, 0x02, 0x01, 0x00, // functions: one, of type 0
    0x0a, 0x08, 0x01, 0x06, 0x00, 0x41, 0x00, 0xfd, 0x0f, 0x0b, // its code
];

/// Whether this browser validates `module`.
pub(crate) fn validates(module: &[u8]) -> bool {
    js_sys::WebAssembly::validate(&js_sys::Uint8Array::from(module).into()).unwrap_or(false)
}

/// Why the wallet cannot work in a browser without WebAssembly SIMD.
pub const NO_SIMD: &str = "The wallet cannot work here: this browser, on this device, does not \
    offer WebAssembly SIMD, which the wallet's encryption needs. A current Chrome, Edge, Firefox \
    or Safari 16.4 or later (on iPhone and iPad, iOS 16.4 or later) has it.";

/// The wallet as the shell knows it, from IndexedDB alone.
#[derive(Clone, PartialEq)]
pub enum ShellWallet {
    Opening,
    Empty,
    Locked {
        passkeys: bool,
    },
    Unavailable(String),
    /// The browser lacks WebAssembly SIMD: the wallet's module would not
    /// compile, so nothing asks for it.
    Unsupported,
    /// The wallet's module is on its way.
    ModuleLoading,
    /// The wallet's module did not load or start.
    ModuleFailed,
}

/// What happens to the shell's wallet.
pub enum WalletEvent {
    /// What IndexedDB says; dropped once the shopper asked for the wallet.
    Known(ShellWallet),
    ModuleLoading,
    ModuleFailed,
}

impl Reducible for ShellWallet {
    type Action = WalletEvent;

    fn reduce(self: Rc<Self>, event: WalletEvent) -> Rc<Self> {
        match event {
            WalletEvent::Known(known) if *self == ShellWallet::Opening => Rc::new(known),
            WalletEvent::Known(_) => self,
            // Nothing loads the module in a browser that cannot run it.
            WalletEvent::ModuleLoading | WalletEvent::ModuleFailed
                if *self == ShellWallet::Unsupported =>
            {
                self
            }
            WalletEvent::ModuleLoading => Rc::new(ShellWallet::ModuleLoading),
            WalletEvent::ModuleFailed => Rc::new(ShellWallet::ModuleFailed),
        }
    }
}

#[hook]
pub fn use_shell_wallet() -> UseReducerHandle<ShellWallet> {
    let wallet = use_reducer(|| ShellWallet::Opening);
    {
        let wallet = wallet.clone();
        use_effect_with((), move |()| {
            spawn_local(async move {
                if !validates(&SIMD_PROBE) {
                    wallet.dispatch(WalletEvent::Known(ShellWallet::Unsupported));
                    return;
                }
                let known = match Vault::open(DATABASE_NAME).await {
                    Ok(vault) => match vault.status().await {
                        Ok(status) if status.exists => ShellWallet::Locked {
                            passkeys: status.passkeys > 0
                                && crate::webauthn::unavailable().is_none(),
                        },
                        Ok(_) => ShellWallet::Empty,
                        Err(failure) => ShellWallet::Unavailable(failure.to_string()),
                    },
                    Err(failure) => ShellWallet::Unavailable(failure.to_string()),
                };
                wallet.dispatch(WalletEvent::Known(known));
            });
        });
    }
    wallet
}
